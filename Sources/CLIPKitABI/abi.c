// The C target exists so that Swift (Sources/CLIPKitC) imports clipkit.h and implements its
// functions against the exact struct layouts and enum values C callers see. No code here.
#include "clipkit.h"
