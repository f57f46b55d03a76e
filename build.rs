//! Generates Rust bindings for the few httpd/APR declarations the FFI layer needs.
//!
//! Header directories come from, in order: `APACHE_INCLUDE_DIR` / `APR_INCLUDE_DIR`,
//! `$APXS -q INCLUDEDIR` / `APR_INCLUDEDIR` (APXS defaults to `apxs`, then `apxs2`),
//! and finally Debian's standard paths.

use std::env;
use std::path::PathBuf;
use std::process::Command;

const DEBIAN_HTTPD_INCLUDE: &str = "/usr/include/apache2";
const DEBIAN_APR_INCLUDE: &str = "/usr/include/apr-1.0";

fn apxs_query(variable: &str) -> Option<String> {
    let candidates = match env::var("APXS") {
        Ok(apxs) => vec![apxs],
        Err(_) => vec!["apxs".to_string(), "apxs2".to_string()],
    };
    candidates.iter().find_map(|apxs| {
        let output = Command::new(apxs).args(["-q", variable]).output().ok()?;
        let value = String::from_utf8(output.stdout).ok()?.trim().to_string();
        (output.status.success() && !value.is_empty()).then_some(value)
    })
}

fn include_dir(env_override: &str, apxs_variable: &str, fallback: &str) -> String {
    println!("cargo:rerun-if-env-changed={env_override}");
    env::var(env_override)
        .ok()
        .or_else(|| apxs_query(apxs_variable))
        .unwrap_or_else(|| fallback.to_string())
}

fn main() {
    println!("cargo:rerun-if-changed=apache-headers/wrapper.h");
    println!("cargo:rerun-if-env-changed=APXS");

    let httpd_include = include_dir("APACHE_INCLUDE_DIR", "INCLUDEDIR", DEBIAN_HTTPD_INCLUDE);
    let apr_include = include_dir("APR_INCLUDE_DIR", "APR_INCLUDEDIR", DEBIAN_APR_INCLUDE);

    let bindings = bindgen::Builder::default()
        .header("apache-headers/wrapper.h")
        .clang_arg(format!("-I{httpd_include}"))
        .clang_arg(format!("-I{apr_include}"))
        .clang_args(["-DLINUX", "-D_REENTRANT", "-D_GNU_SOURCE"])
        .allowlist_type("module|command_rec|cmd_parms|request_rec|server_rec|process_rec|cmd_how|apr_pool_t|apr_table_t|apr_array_header_t|apr_table_entry_t")
        // ClickPath: the config tree of its container directives, the output filter's brigades.
        .allowlist_type("ap_directive_t|ap_filter_t|ap_filter_type|apr_bucket|apr_bucket_brigade|apr_read_type_e|conn_rec")
        // Cookieless visitors: the salt cache through mod_socache providers, its mutex.
        .allowlist_type("ap_socache_provider_t|ap_socache_instance_t|ap_socache_hints|apr_global_mutex_t")
        .allowlist_function(
            "ap_hook_post_read_request|ap_hook_fixups|ap_hook_child_init|ap_hook_post_config|ap_hook_log_transaction|ap_hook_insert_error_filter|\
             ap_log_rerror_|ap_log_error_|ap_get_request_module_loglevel|ap_server_root_relative|apr_pool_userdata_get|apr_pool_userdata_set|\
             ap_get_module_config|ap_set_module_config|apr_palloc|apr_pstrmemdup|apr_table_get|apr_table_setn|apr_table_addn|\
             apr_table_unset|\
             ap_hook_translate_name|ap_hook_insert_filter|ap_register_output_filter|ap_add_output_filter|ap_remove_output_filter|\
             ap_pass_brigade|ap_parse_uri|apr_brigade_create|apr_brigade_cleanup|apr_brigade_write|apr_table_set|apr_pool_cleanup_register|\
             apr_pool_cleanup_null|apr_bucket_flush_create|ap_hook_pre_config|ap_hook_check_config|ap_lookup_provider|ap_mutex_register|ap_global_mutex_create|\
             apr_global_mutex_child_init|apr_global_mutex_lockfile|apr_global_mutex_lock|apr_global_mutex_unlock|apr_strerror",
        )
        .allowlist_var("MODULE_MAGIC_.*|APR_HOOK_.*|OK|DECLINED|OR_FILEINFO|RSRC_CONF|ACCESS_CONF|APLOG_.*|HTTP_INTERNAL_SERVER_ERROR|apr_bucket_type_eos|ap_server_conf|AP_SOCACHE_.*|APR_SUCCESS|APR_NOTFOUND|APR_LOCK_DEFAULT")
        .default_enum_style(bindgen::EnumVariation::ModuleConsts)
        .default_macro_constant_type(bindgen::MacroTypeVariation::Signed)
        .layout_tests(true)
        .generate_comments(false)
        .generate()
        .unwrap_or_else(|error| {
            panic!(
                "bindgen failed on apache-headers/wrapper.h with -I{httpd_include} -I{apr_include}: \
                 {error}. Install apache2-dev and libclang-dev, or set APACHE_INCLUDE_DIR/APR_INCLUDE_DIR."
            )
        });

    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    bindings.write_to_file(out.join("bindings.rs")).expect("writing bindings.rs into OUT_DIR");
}
