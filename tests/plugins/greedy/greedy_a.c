/* org.pquic.test.greedy-a (greedy.h) */
#define GREEDY_FRAME 0x3f60
#include "greedy.h"
