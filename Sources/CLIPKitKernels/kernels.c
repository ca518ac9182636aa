#include "CLIPKitKernels.h"
int clipkit_kernels_version(void) { return 1; }
