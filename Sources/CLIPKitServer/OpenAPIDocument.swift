/// The OpenAPI 3.1 document served at `GET /openapi.json`, describing every route.
///
/// Kept by hand beside the routes; `OpenAPIDocumentTests` checks that it parses, that every
/// route is described and that every `$ref` resolves, and `python/tests/test_openapi.py` runs
/// `openapi-spec-validator` on it.
enum OpenAPIDocument {
    static let json = #"""
    {
      "openapi": "3.1.0",
      "info": {
        "title": "clipkit serve",
        "version": "0.1.0",
        "description": "Zero-shot image classification and CLIP embeddings. Images are sent inline (data URI, base64 or multipart); the server never fetches URLs or opens paths.",
        "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"}
      },
      "servers": [{"url": "http://127.0.0.1:8080"}],
      "paths": {
        "/v1/classify": {
          "post": {
            "operationId": "classify",
            "summary": "Zero-shot classification of one or more images against candidate labels.",
            "description": "Accepts clipkit's shape, Hugging Face's zero-shot task shape (answered in HF's shape), or multipart/form-data with image files and repeated labels fields.",
            "security": [{}, {"bearer": []}, {"apiKey": []}],
            "parameters": [{"$ref": "#/components/parameters/RequestTimeout"}],
            "requestBody": {
              "required": true,
              "content": {
                "application/json": {
                  "schema": {"oneOf": [
                    {"$ref": "#/components/schemas/ClassifyRequest"},
                    {"$ref": "#/components/schemas/HuggingFaceClassifyRequest"}
                  ]}
                },
                "multipart/form-data": {"schema": {"$ref": "#/components/schemas/ClassifyForm"}}
              }
            },
            "responses": {
              "200": {
                "description": "One result per image, in input order (HF's shape for HF requests).",
                "headers": {
                  "X-Queue-Time-Ms": {"$ref": "#/components/headers/QueueTime"},
                  "X-Inference-Time-Ms": {"$ref": "#/components/headers/InferenceTime"}
                },
                "content": {"application/json": {"schema": {"oneOf": [
                  {"$ref": "#/components/schemas/ClassifyResponse"},
                  {"type": "array", "items": {"$ref": "#/components/schemas/LabelScore"}},
                  {"type": "array", "items": {"type": "array", "items": {"$ref": "#/components/schemas/LabelScore"}}}
                ]}}}
              },
              "400": {"$ref": "#/components/responses/Error"},
              "401": {"$ref": "#/components/responses/Error"},
              "408": {"$ref": "#/components/responses/Error"},
              "413": {"$ref": "#/components/responses/Error"},
              "415": {"$ref": "#/components/responses/Error"},
              "422": {"$ref": "#/components/responses/Error"},
              "503": {"$ref": "#/components/responses/Overloaded"},
              "504": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/v1/embeddings": {
          "post": {
            "operationId": "createEmbeddings",
            "summary": "OpenAI-compatible embeddings of texts, or of images with modality image.",
            "security": [{}, {"bearer": []}, {"apiKey": []}],
            "parameters": [{"$ref": "#/components/parameters/RequestTimeout"}],
            "requestBody": {
              "required": true,
              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EmbeddingsRequest"}}}
            },
            "responses": {
              "200": {
                "description": "One L2-normalised embedding per input, in order.",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/EmbeddingsResponse"}}}
              },
              "400": {"$ref": "#/components/responses/Error"},
              "401": {"$ref": "#/components/responses/Error"},
              "408": {"$ref": "#/components/responses/Error"},
              "413": {"$ref": "#/components/responses/Error"},
              "422": {"$ref": "#/components/responses/Error"},
              "503": {"$ref": "#/components/responses/Overloaded"},
              "504": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/health": {
          "get": {
            "operationId": "health",
            "summary": "200 once the model is loaded, 503 before (or when loading failed).",
            "responses": {
              "200": {"description": "Ready.", "content": {"application/json": {"schema": {
                "type": "object", "properties": {"status": {"const": "ok"}}, "required": ["status"]}}}},
              "503": {"$ref": "#/components/responses/Error"}
            }
          }
        },
        "/info": {
          "get": {
            "operationId": "info",
            "summary": "Model id, dimensions, precision, limits and version.",
            "responses": {"200": {"description": "Server information.",
              "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Info"}}}}}
          }
        },
        "/metrics": {
          "get": {
            "operationId": "metrics",
            "summary": "Prometheus text: requests by route and status, latency and batch-size histograms, queue depth, images/s.",
            "responses": {"200": {"description": "Prometheus exposition format 0.0.4.",
              "content": {"text/plain": {"schema": {"type": "string"}}}}}
          }
        },
        "/openapi.json": {
          "get": {
            "operationId": "openapi",
            "summary": "This document.",
            "responses": {"200": {"description": "OpenAPI 3.1 document.",
              "content": {"application/json": {"schema": {"type": "object"}}}}}
          }
        },
        "/": {
          "get": {
            "operationId": "webPage",
            "summary": "A self-contained web page to try classification in a browser.",
            "responses": {"200": {"description": "HTML page.", "content": {"text/html": {"schema": {"type": "string"}}}}}
          }
        }
      },
      "components": {
        "securitySchemes": {
          "bearer": {"type": "http", "scheme": "bearer", "description": "Required only when the server has an API key."},
          "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}
        },
        "parameters": {
          "RequestTimeout": {
            "name": "X-Request-Timeout-Ms", "in": "header", "required": false,
            "description": "Shortens the server's deadline for this request (never lengthens it).",
            "schema": {"type": "integer", "minimum": 1}
          }
        },
        "headers": {
          "QueueTime": {"description": "Milliseconds the request's longest item waited for the model.", "schema": {"type": "string"}},
          "InferenceTime": {"description": "Milliseconds of the longest model call the request took part in.", "schema": {"type": "string"}}
        },
        "responses": {
          "Error": {
            "description": "An error.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
          },
          "Overloaded": {
            "description": "Queue full, model loading or shutting down; retry after the given seconds.",
            "headers": {"Retry-After": {"schema": {"type": "integer"}}},
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
          }
        },
        "schemas": {
          "Error": {
            "type": "object",
            "properties": {
              "message": {"type": "string"},
              "type": {"type": "string"},
              "code": {"type": "string"}
            },
            "required": ["message", "type", "code"]
          },
          "ErrorResponse": {
            "type": "object",
            "properties": {"error": {"$ref": "#/components/schemas/Error"}},
            "required": ["error"]
          },
          "ClassifyRequest": {
            "type": "object",
            "properties": {
              "images": {"type": "array", "minItems": 1, "items": {"type": "string", "description": "data URI or plain base64"}},
              "labels": {"type": "array", "minItems": 1, "items": {"type": "string"}},
              "template": {"type": "string", "description": "Prompt template with {} for the label; default: the model family's ({} for CLIP, This is a photo of {}. for SigLIP)."},
              "templates": {"type": "array", "items": {"type": "string"}, "description": "Prompt ensemble: label embeddings averaged over these templates (open_clip's method), or one element naming a built-in set: openai-imagenet, simple-imagenet."},
              "top_k": {"type": "integer", "minimum": 1}
            },
            "required": ["images", "labels"]
          },
          "HuggingFaceClassifyRequest": {
            "type": "object",
            "properties": {
              "inputs": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
              "parameters": {
                "type": "object",
                "properties": {
                  "candidate_labels": {"oneOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]},
                  "hypothesis_template": {"type": "string", "default": "This is a photo of {}."}
                },
                "required": ["candidate_labels"]
              }
            },
            "required": ["inputs", "parameters"]
          },
          "ClassifyForm": {
            "type": "object",
            "properties": {
              "image": {"type": "array", "items": {"type": "string", "contentMediaType": "application/octet-stream"}},
              "labels": {"type": "array", "items": {"type": "string"}},
              "template": {"type": "string"},
              "top_k": {"type": "integer", "minimum": 1}
            },
            "required": ["image", "labels"]
          },
          "LabelScore": {
            "type": "object",
            "properties": {
              "label": {"type": "string"},
              "score": {"type": "number", "description": "Probability: softmax over the labels (CLIP) or a sigmoid per label (SigLIP)."},
              "cosine": {"type": "number", "description": "Raw cosine similarity."}
            },
            "required": ["label", "score"]
          },
          "ClassifyResult": {
            "oneOf": [
              {
                "type": "object",
                "properties": {
                  "label": {"type": "string"},
                  "score": {"type": "number"},
                  "scores": {"type": "array", "items": {"$ref": "#/components/schemas/LabelScore"}}
                },
                "required": ["label", "score", "scores"]
              },
              {"$ref": "#/components/schemas/ErrorResponse"}
            ]
          },
          "ClassifyResponse": {
            "type": "object",
            "properties": {
              "results": {"type": "array", "items": {"$ref": "#/components/schemas/ClassifyResult"}},
              "model": {"type": "string"}
            },
            "required": ["results"]
          },
          "EmbeddingsRequest": {
            "type": "object",
            "properties": {
              "input": {"oneOf": [{"type": "string"}, {"type": "array", "minItems": 1, "items": {"type": "string"}}]},
              "model": {"type": "string"},
              "encoding_format": {"enum": ["float", "base64"], "default": "float"},
              "modality": {"enum": ["text", "image"], "default": "text"},
              "dimensions": {"type": "integer"}
            },
            "required": ["input"]
          },
          "EmbeddingsResponse": {
            "type": "object",
            "properties": {
              "object": {"const": "list"},
              "data": {"type": "array", "items": {
                "type": "object",
                "properties": {
                  "object": {"const": "embedding"},
                  "index": {"type": "integer"},
                  "embedding": {"oneOf": [{"type": "array", "items": {"type": "number"}}, {"type": "string"}]}
                },
                "required": ["object", "index", "embedding"]
              }},
              "model": {"type": "string"},
              "usage": {
                "type": "object",
                "properties": {"prompt_tokens": {"type": "integer"}, "total_tokens": {"type": "integer"}},
                "required": ["prompt_tokens", "total_tokens"]
              }
            },
            "required": ["object", "data", "model", "usage"]
          },
          "Info": {
            "type": "object",
            "properties": {
              "model_id": {"type": "string"},
              "ready": {"type": "boolean"},
              "model": {"type": ["object", "null"]},
              "precision": {"type": "string"},
              "limits": {"type": "object"},
              "version": {"type": "string"},
              "authentication": {"type": "boolean"}
            },
            "required": ["model_id", "ready", "precision", "limits", "version"]
          }
        }
      }
    }
    """#
}
