/* uvaws: an asynchronous AWS API client for programs that run a libuv loop.
 * Include this one header; it includes every public part. */
#ifndef UVAWS_H
#define UVAWS_H

#include "uvaws/call.h"
#include "uvaws/client.h"
#include "uvaws/common.h"
#include "uvaws/credentials.h"
#include "uvaws/dynamodb.h"
#include "uvaws/error.h"
#include "uvaws/future.h"
#include "uvaws/sigv4.h"
#include "uvaws/version.h"

#endif
