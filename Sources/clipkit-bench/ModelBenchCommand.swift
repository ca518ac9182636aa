import ArgumentParser
import CLIPKit
import Foundation

/// `clipkit-bench model`: tower throughput on random-weight models of the released shapes, or
/// the image tower of any family's model folder (`--model`).
struct ModelBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Image- and text-tower throughput, sgemm peak and peak RSS on random weights.",
        discussion: """
            Writes (once, into the temporary folder) a random-weight model of each preset, or uses
            --model. Prints images/s at each batch size, prompts/s for --labels prompts, the
            in-process sgemm GFLOPS and the share of it the tower reaches, and peak RSS.
            Take several runs on a quiet machine and report the best.
            """)

    @Option(help: "Model shapes to run: b32 (ViT-B/32), l14 (ViT-L/14); repeatable.")
    var preset: [String] = ["b32"]

    @Option(help: "Use this model folder, of any family (CLIP, SigLIP), instead of writing one (only with a single preset).")
    var model: String?

    @Option(help: "Comma-separated image batch sizes.")
    var batches = "1,8,32"

    @Option(help: "Prompts in the text-tower run (0 skips it).")
    var labels = 1000

    @Option(help: "Minimum seconds spent timing each measurement.")
    var seconds: Double = 5

    @Option(help: "Minimum timed runs per measurement (after one warm-up run).")
    var minRuns = 3

    @Option(help: "BLAS threads (default: OpenBLAS's own choice).")
    var threads: Int?

    @Option(help: "Who threads the matrix products: own (clipkit's workers) or library (OpenBLAS).")
    var threading: String = "own"

    @Flag(help: "Time the image tower with both threadings, alternating, and print the ratio.")
    var compareThreading = false


    @Flag(help: "Skip the sgemm peak measurement.")
    var skipPeak = false

    @Option(help: "Encoder-layer precisions to run, comma-separated: fp32, bf16, int8 (ratios to the first are printed).")
    var precision = "fp32"

    var precisions: [Precision] { precision.split(separator: ",").compactMap { Precision(rawValue: $0.trimmingCharacters(in: .whitespaces)) } }

    var batchSizes: [Int] { batches.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func validate() throws {
        for p in preset where RandomModel.configuration(preset: p) == nil {
            throw ValidationError("unknown preset '\(p)'; use b32 or l14")
        }
        if model != nil && preset.count != 1 { throw ValidationError("--model needs exactly one --preset") }
        if precisions.isEmpty || precisions.count != precision.split(separator: ",").count {
            throw ValidationError("--precision takes fp32, bf16, int8, comma-separated")
        }
        if batchSizes.isEmpty || batchSizes.contains(where: { $0 < 1 }) {
            throw ValidationError("--batches must be positive integers, e.g. 1,8,32")
        }
    }

    func run() throws {
        if let threads { MatrixMultiplication.threadCount = threads }
        guard let mode = MatrixMultiplication.Threading(rawValue: threading) else {
            throw ValidationError("--threading must be own or library")
        }
        MatrixMultiplication.threading = mode
        print(Measurement.machineDescription())
        print("BLAS threads: \(MatrixMultiplication.threadCount), threading: \(MatrixMultiplication.threading.rawValue)")
        var peak = 0.0
        if !skipPeak {
            // The MLP's first product at batch 32 of ViT-B/32, and a large square product.
            let towerShape = MatrixMultiplication.measureGFLOPS(m: 1600, n: 3072, k: 768)
            let square = MatrixMultiplication.measureGFLOPS(m: 2048, n: 2048, k: 2048, repetitions: 3)
            peak = max(towerShape, square)
            print(String(format: "sgemm: %.1f GFLOPS at 1600x3072x768, %.1f at 2048^3; peak %.1f", towerShape, square, peak))
        }
        for name in preset {
            guard let configuration = RandomModel.configuration(preset: name) else { continue }
            let rates = try precisions.map { try bench(name: name, configuration: configuration, peak: peak, precision: $0) }
            printRatios(name: model.map { URL(fileURLWithPath: $0).lastPathComponent } ?? name, rates: rates)
        }
        print("peak RSS: \(Measurement.megabytes(Measurement.peakResidentBytes()))")
    }

    /// Prints each precision's image-tower rate relative to the first one's, per batch size.
    func printRatios(name: String, rates: [[Int: Double]]) {
        guard precisions.count > 1, let first = rates.first else { return }
        for batch in batchSizes {
            guard let base = first[batch], base > 0 else { continue }
            let ratios = zip(precisions, rates).dropFirst().map { p, r in String(format: "%@ %.2fx", p.rawValue, (r[batch] ?? 0) / base) }
            print("[\(name)] batch \(batch) images/s vs \(precisions[0].rawValue): " + ratios.joined(separator: ", "))
        }
    }

    /// Runs one preset in one precision; returns images/s per batch size.
    @discardableResult
    func bench(name preset: String, configuration: CLIPConfiguration, peak: Double,
               precision: Precision = .fp32) throws -> [Int: Double] {
        let name = precision == .fp32 ? preset : "\(preset) \(precision.rawValue)"
        var rates: [Int: Double] = [:]
        let directory: URL
        if let model {
            directory = URL(fileURLWithPath: model)
        } else {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("clipkit-bench-\(preset)-seed0")
            if !FileManager.default.fileExists(atPath: directory.appendingPathComponent("config.json").path) {
                let start = Measurement.now()
                try RandomModel.write(configuration, to: directory)
                print(String(format: "[%@] wrote random weights to %@ in %.1f s", name, directory.path, Measurement.now() - start))
            }
        }
        let loadStart = Measurement.now()
        // Any family's folder loads here; the FLOPs, threading and text-tower figures need CLIP's
        // configuration and run for CLIP only.
        let loaded = try ModelFamily.loadModel(directory: directory, precision: precision)
        let clip = loaded as? CLIPModel
        let label = clip == nil ? "\(loaded.family.rawValue) \(precision.rawValue)" : name
        print(String(format: "[%@] %@ model loaded in %.3f s (%@)", label, loaded.family.displayName,
                     Measurement.now() - loadStart, precision.kernelDescription))
        let input = loaded.visionInput
        let imageFLOPs = Self.visionFLOPs(loaded)
        // The ceiling of this precision's kernel on these threads (a second of probing).
        let workers = min(MatrixMultiplication.threadCount, ProcessInfo.processInfo.activeProcessorCount)
        let registerPeak = precision.registerPeakGOPS(threads: workers)
        print(String(format: "[%@] register-only peak of %@ on %d threads: %.1f GOPS", label,
                     precision.kernelDescription, workers, registerPeak))
        for batch in batchSizes {
            let pixels = RandomModel.pixels(count: batch, size: input.imageSize)
            let t = try Measurement.time(seconds: seconds, minimumRuns: minRuns) { _ = try loaded.imageEmbeddings(pixels: pixels) }
            let rate = Double(batch) / t.best
            rates[batch] = rate
            var extra = ""
            if let imageFLOPs {
                let gflops = imageFLOPs * Double(batch) / t.best / 1e9
                extra = String(format: ", %.1f GOPS, %.0f%% of the %@ register peak", gflops,
                               100 * gflops / registerPeak, precision.rawValue)
                    + (peak > 0 ? String(format: ", %.0f%% of sgemm peak", 100 * gflops / peak) : "")
            }
            print(String(format: "[%@] image tower batch %2d: %7.2f images/s (median %.2f, %d runs)%@",
                         label, batch, rate, Double(batch) / t.median, t.runs, extra))
        }
        guard let clip else {
            if compareThreading || labels > 0 {
                print("[\(label)] --compare-threading and the text tower run on CLIP folders only; skipped (use --labels 0)")
            }
            print("[\(label)] peak RSS so far: \(Measurement.megabytes(Measurement.peakResidentBytes()))")
            return rates
        }
        if compareThreading, let imageFLOPs {
            try compareThreadings(clip, batch: batchSizes.last ?? 32, flops: imageFLOPs)
        }
        if labels > 0 {
            let ids = RandomModel.promptTokenIDs(count: labels)
            let t = try Measurement.time(seconds: seconds, minimumRuns: minRuns) { _ = try clip.textEmbeddings(tokenIDs: ids) }
            let flops = ids.reduce(0.0) { $0 + Self.textFLOPs(clip.configuration, length: $1.count) }
            print(String(format: "[%@] text tower %d prompts: %8.1f prompts/s (%.3f s best, %.3f s median, %d runs), %.1f GFLOPS",
                         name, labels, Double(labels) / t.best, t.best, t.median, t.runs, flops / t.best / 1e9))
        }
        print("[\(name)] peak RSS so far: \(Measurement.megabytes(Measurement.peakResidentBytes())) (weights \(Measurement.megabytes(Self.weightBytes(clip.configuration))))")
        return rates
    }

    /// Image tower at `batch` with each threading in turn, four rounds (own, library, own,
    /// library, ...), best and median of each: a ratio taken in one process on a noisy machine.
    func compareThreadings(_ clip: CLIPModel, batch: Int, flops: Double) throws {
        let pixels = RandomModel.pixels(count: batch, size: clip.configuration.vision.imageSize)
        let modes = MatrixMultiplication.Threading.allCases
        var runs: [MatrixMultiplication.Threading: [Double]] = [:]
        let saved = MatrixMultiplication.threading
        defer { MatrixMultiplication.threading = saved }
        for _ in 0..<4 {
            for mode in modes {
                MatrixMultiplication.threading = mode
                let t = try Measurement.time(seconds: seconds / 4, minimumRuns: 1) { _ = try clip.imageEmbeddings(pixels: pixels) }
                runs[mode, default: []].append(t.best)
            }
        }
        for mode in modes {
            let times = (runs[mode] ?? []).sorted()
            guard let best = times.first else { continue }
            print(String(format: "threading %@: image tower batch %d: %.2f images/s best (median of rounds %.2f), %.1f GFLOPS",
                         mode.rawValue, batch, Double(batch) / best, Double(batch) / times[times.count / 2],
                         flops * Double(batch) / best / 1e9))
        }
        if let own = runs[.own]?.min(), let library = runs[.library]?.min() {
            print(String(format: "threading own / library: %.3fx (best of 4 alternating rounds)", library / own))
        }
    }

    /// Floating-point operations of one image through the vision tower and projection.
    /// Operations of one image through `model`'s image tower (CLIP or SigLIP), nil for a
    /// family this bench does not count.
    static func visionFLOPs(_ model: any ZeroShotModel) -> Double? {
        if let clip = model as? CLIPModel { return visionFLOPs(clip.configuration) }
        if let siglip = model as? SiglipModel { return visionFLOPs(siglip.configuration.vision) }
        return nil
    }

    /// SigLIP: patches (with bias) and encoder layers over every patch token, then the
    /// attention-pooling head (one probe query: its key/value projections over every token, the
    /// query, output projection and MLP on one row).
    static func visionFLOPs(_ v: SiglipVisionConfiguration) -> Double {
        let side = v.imageSize / v.patchSize
        let t = Double(side * side), w = Double(v.hiddenSize), i = Double(v.intermediateSize)
        let patch = 2 * t * Double(v.channelCount * v.patchSize * v.patchSize) * w
        let layer = 2 * t * w * (4 * w + 2 * i) + 4 * t * t * w
        let head = 2 * t * w * 2 * w + 4 * t * w + 2 * w * (2 * w + 2 * i)
        return patch + Double(v.layerCount) * layer + head
    }

    static func visionFLOPs(_ c: CLIPConfiguration) -> Double {
        let v = c.vision
        let t = Double(v.tokenCount), w = Double(v.hiddenSize), i = Double(v.intermediateSize)
        let patch = 2 * (t - 1) * Double(v.channelCount * v.patchSize * v.patchSize) * w
        let layer = 2 * t * w * (4 * w + 2 * i) + 4 * t * t * w
        return patch + Double(v.layerCount) * layer + 2 * w * Double(c.projectionDimension)
    }

    /// Floating-point operations of one prompt of `length` tokens through the text tower (full
    /// attention counted, as a dense implementation does).
    static func textFLOPs(_ c: CLIPConfiguration, length: Int) -> Double {
        let x = c.text
        let n = Double(length), w = Double(x.hiddenSize), i = Double(x.intermediateSize)
        let layer = 2 * n * w * (4 * w + 2 * i) + 4 * n * n * w
        return Double(x.layerCount) * layer + 2 * w * Double(c.projectionDimension)
    }

    static func weightBytes(_ c: CLIPConfiguration) -> Int {
        RandomModel.tensorShapes(c).reduce(0) { $0 + 4 * $1.shape.reduce(1, *) }
    }
}
