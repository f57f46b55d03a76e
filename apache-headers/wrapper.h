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
/* Cookieless visitors (issue 14): the salt cache through mod_socache providers, its mutex. */
#include <http_main.h>
#include <ap_provider.h>
#include <ap_socache.h>
#include <util_mutex.h>
#include <apr_global_mutex.h>
#include <apr_errno.h>
