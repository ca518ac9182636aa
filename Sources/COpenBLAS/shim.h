// OpenBLAS's CBLAS interface (Debian: libopenblas-dev; pkg-config module "openblas").
#include <cblas.h>
// Not in cblas.h on every distribution; OpenBLAS exports these.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
