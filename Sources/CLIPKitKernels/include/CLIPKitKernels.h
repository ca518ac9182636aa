#ifndef CLIPKIT_KERNELS_H
#define CLIPKIT_KERNELS_H
#include <stddef.h>
/// Version tag; real kernels are declared below as they are added.
int clipkit_kernels_version(void);
#endif
