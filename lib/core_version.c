/* Anchor object so libcore is never empty while pieces are added. */
#include "lockscope_internal.h"
LS_HIDDEN int ls_core_version(void);
LS_HIDDEN int ls_core_version(void) { return 1; }
