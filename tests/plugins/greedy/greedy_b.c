/* org.pquic.test.greedy-b (greedy.h) */
#define GREEDY_FRAME 0x3f61
#include "greedy.h"
