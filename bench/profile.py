#!/usr/bin/env python3
"""Where our module's per-request instructions go (a helper for optimising; not part of `make bench`).

    cargo build --profile profiling          # release code with symbols (Cargo.toml [profile.profiling])
    python3 bench/profile.py [--config realistic|every|every-unsigned|minimal|all-options]
                             [--requests N] [--workload 0|1|2|3] [--so PATH]
    python3 bench/profile.py --config cookieless   # make bench's cookieless visitor
    python3 bench/profile.py --config cookieless --against-none   # every function's share, httpd's too

Runs `apache2 -X` under callgrind with the module (default: target/profiling/libmod_usertrack.so),
sends N requests of each workload of bench/bench.py, and prints, per request, the inclusive cost
of every function in the module and of what each one calls (callgrind_annotate --tree=calling).
Start-up is included in the totals but divided by N like the rest, so use a large N (default 2000).

--against-none: instead, each function's own (exclusive) instructions per request with the module
minus make bench's server without it (the realistic access log), httpd's and APR's functions
included, as a slope between N/6 and N requests so start-up cancels: what the module makes httpd
do shows up too.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

LINE = re.compile(r"^\s*([0-9,]+)\s+\(\s*[0-9.]+%\)\s+([*>])\s+(.*)$")


def module_blocks(annotate_output, so_path, n):
    """Blocks of the calling tree whose function (the `*` line) lives in our .so."""
    blocks, cur = [], []
    for line in annotate_output.splitlines() + [""]:
        if not line.strip():
            if cur:
                blocks.append(cur)
            cur = []
            continue
        m = LINE.match(line)
        if m:
            cur.append((int(m.group(1).replace(",", "")), m.group(2), m.group(3)))
    out = []
    base = os.path.basename(so_path)
    for b in blocks:
        head = [x for x in b if x[1] == "*"]
        if not head:
            continue
        _ir, _k, fn = head[0]
        if base not in fn and "mod_usertrack::" not in fn:
            continue
        out.append((head[0][0] / n, fn, [(ir / n, callee) for ir, k, callee in b if k == ">"]))
    out.sort(key=lambda x: -x[0])
    # With line tables a function can be listed twice (by source file and as ???): keep the larger.
    seen, unique = set(), []
    for entry in out:
        key = re.sub(r"\s\[[^\]]*\]$", "", entry[1].partition(":")[2])
        if key not in seen:
            seen.add(key)
            unique.append(entry)
    return unique


def short(fn, so_path):
    fn = fn.replace(" [%s]" % so_path, "")
    fn = re.sub(r"\s\[/usr/lib/x86_64-linux-gnu/([^\]]+)\]", r" [\1]", fn)
    fn = re.sub(r"/root/\.cargo/registry/src/[^/]+/", "", fn)
    return fn


def exclusive_costs(callgrind_out):
    """Exclusive Ir per function (a function listed by file and as ??? counts once, summed)."""
    text = subprocess.run(["callgrind_annotate", "--threshold=100", callgrind_out], capture_output=True, text=True,
                          timeout=600).stdout
    costs = {}
    for line in text.splitlines():
        m = re.match(r"^\s*([0-9,]+)\s+(?:\(\s*[0-9.]+%\)\s+)?(\S.*:.*)$", line)
        if m:
            fn = re.sub(r"\s\[[^\]]*\]$", "", m.group(2)).partition(":")[2]
            costs[fn] = costs.get(fn, 0) + int(m.group(1).replace(",", ""))
    return costs


def run_callgrind(workdir, name, conf, n, wi):
    out = os.path.join(workdir, "%s.callgrind.out" % name)
    srv = bench.Server(workdir, name, "prefork", conf, callgrind_out=out)
    try:
        srv.start()
        bench.send_requests(srv.port, n, bench.cookie_for(conf, bench.WORKLOADS[wi][1]), keepalive=False,
                            user_agent=bench.user_agent_for(wi))
    finally:
        srv.stop()
    srv.check_error_log()
    return out


def against_none(workdir, conf, args):
    """Per function: (with the module - without it) exclusive Ir per request, as a slope."""
    none_conf = bench.load_module_conf(None, [], bench.REALISTIC_LOG)
    low, high = args.requests // 6, args.requests
    for wi in args.workload or range(len(bench.WORKLOADS)):
        slopes = {}
        for key, c in (("ours", conf), ("none", none_conf)):
            runs = [exclusive_costs(run_callgrind(workdir, "%s%d_%d" % (key, wi, n), c, n, wi)) for n in (low, high)]
            for fn in set(runs[0]) | set(runs[1]):
                slope = (runs[1].get(fn, 0) - runs[0].get(fn, 0)) / (high - low)
                slopes[fn] = slopes.get(fn, 0) + (slope if key == "ours" else -slope)
        print("=== %s, %s configuration against no module: exclusive Ir per request, slope %d..%d requests"
              % (bench.WORKLOADS[wi][0], args.config, low, high))
        print("%9.0f  total" % sum(slopes.values()))
        for fn, ir in sorted(slopes.items(), key=lambda item: -abs(item[1])):
            if abs(ir) >= args.min:
                print("%9.0f  %s" % (ir, short(fn, "")))
        print()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--so", default=os.path.join(bench.TARGET_DIR, "profiling/libmod_usertrack.so"))
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--workload", type=int, action="append",
                    help="index into bench.WORKLOADS (repeatable; default all)")
    ap.add_argument("--config", default="realistic",
                    choices=["realistic", "every", "every-unsigned", "minimal", "all-options", "cookieless"],
                    help="realistic: make bench's headline (CookieExpires and an access log of the ID); every: "
                         "that with every option (signing included); every-unsigned: every option but "
                         "signing; minimal: CookieTracking on alone, no log; all-options: minimal plus "
                         "bench.ALL_OPTIONS; cookieless: make bench's cookieless visitor (workload 3 by "
                         "default)")
    ap.add_argument("--all-options", action="store_true", help="the same as --config all-options")
    ap.add_argument("--min", type=float, default=5.0, help="hide callees below this many Ir/request")
    ap.add_argument("--against-none", action="store_true",
                    help="each function's exclusive Ir per request, with the module minus without it")
    args = ap.parse_args()
    so = os.path.abspath(args.so)
    if not os.path.exists(so):
        sys.exit("%s not found: run `cargo build --profile profiling` first" % so)
    if args.all_options:
        args.config = "all-options"
    unsigned = [o for o in bench.NEW_OPTIONS if not o.startswith("CookieSignKeyFile")]
    extra, log_lines = {
        "realistic": (bench.REALISTIC, bench.REALISTIC_LOG),
        "every": (bench.REALISTIC + bench.STOCK_OPTIONS + bench.NEW_OPTIONS, bench.REALISTIC_LOG),
        "every-unsigned": (bench.REALISTIC + bench.STOCK_OPTIONS + unsigned, bench.REALISTIC_LOG),
        "minimal": ([], ()),
        "all-options": (bench.ALL_OPTIONS, ()),
        "cookieless": ([], ()),
    }[args.config]
    conf = bench.load_module_conf(so, extra, log_lines)
    if args.config == "cookieless":
        conf = bench.cookieless_conf(so)
        args.workload = args.workload or [bench.COOKIELESS_WORKLOAD]
    workdir = tempfile.mkdtemp(prefix="usertrack-profile-")
    os.chmod(workdir, 0o755)
    try:
        if args.against_none:
            against_none(workdir, conf, args)
            return
        for wi in args.workload or range(len(bench.WORKLOADS)):
            name = bench.WORKLOADS[wi][0]
            out = run_callgrind(workdir, "w%d" % wi, conf, args.requests, wi)
            ann = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--tree=calling", "--threshold=100",
                                  out], capture_output=True, text=True, timeout=600).stdout
            print("=== %s, %s configuration: inclusive Ir per request (N=%d, start-up spread over N)"
                  % (name, args.config, args.requests))
            for ir, fn, callees in module_blocks(ann, so, args.requests):
                if ir < args.min:
                    continue
                print("%9.0f  %s" % (ir, short(fn, so)))
                for cir, callee in callees:
                    if cir >= args.min:
                        print("%9.0f      -> %s" % (cir, short(callee, so)))
            print()
    finally:
        bench.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
