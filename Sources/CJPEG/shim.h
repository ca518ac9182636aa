// libjpeg-turbo (Debian: libjpeg62-turbo-dev; pkg-config module "libjpeg").
#include <stdio.h>
#include <jpeglib.h>
