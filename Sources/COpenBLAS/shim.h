// OpenBLAS's CBLAS interface (Debian: libopenblas-dev; pkg-config module "openblas").
#include <cblas.h>
// Not in cblas.h on every distribution; OpenBLAS exports these.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
// The kernel family OpenBLAS chose for this CPU at run time (e.g. "SkylakeX", "Cooperlake",
// "Haswell") and its build configuration, for benchmark reports.
char *openblas_get_corename(void);
char *openblas_get_config(void);
