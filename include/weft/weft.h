/* SPDX-License-Identifier: MIT */
/* Everything weft offers a program, in one include. */
#ifndef WEFT_WEFT_H
#define WEFT_WEFT_H

#include "weft/alloc.h"
#include "weft/fault.h"
#include "weft/green.h"
#include "weft/io.h"
#include "weft/key.h"
#include "weft/local.h"
#include "weft/panic.h"
#include "weft/process.h"
#include "weft/scope.h"
#include "weft/signal.h"
#include "weft/string.h"
#include "weft/sync.h"
#include "weft/thread.h"
#include "weft/time.h"

#endif
