// SPDX-License-Identifier: MIT
/* Green threads (placeholder until the green runtime lands). */
#include "thread.h"

void weft_green_park(void)
{
}

void weft_green_park_timeout(uint64_t ns)
{
}

void weft_green_unpark(struct weft_thread *t)
{
}
