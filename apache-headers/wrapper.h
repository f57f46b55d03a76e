/* The httpd and APR declarations the FFI layer uses; bindgen reads this file. */
#include <httpd.h>
#include <http_config.h>
#include <http_protocol.h>
#include <http_request.h>
#include <http_log.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <util_filter.h>
#include <apr_buckets.h>
#include <util_cfgtree.h>
