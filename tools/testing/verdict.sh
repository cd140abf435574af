#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# verdict.sh OUTDIR: judge one guest run from the files qemu-run.sh left.
#
# Writes OUTDIR/verdict as key=value lines (passed, failed, skipped,
# insmod, rmmod, finished, splats) and prints one line per problem found.
# Exits 0 only for a clean run: the guest finished, the module loaded and
# unloaded, every test case passed or was skipped, every test program
# exited 0, and neither the console nor the guest's dmesg holds a splat.
set -euo pipefail

out=$1
results=$out/results.log
console=$out/console.log

# What a kernel prints when something is wrong with it, whichever of the
# debugging options found it.
splat_re='BUG:|WARNING:|Oops|Kernel panic|kernel BUG at|general protection fault'
splat_re+='|KASAN|UBSAN|Call Trace:|refcount_t|list_(add|del) corruption'
splat_re+='|possible (recursive|circular) locking|inconsistent lock state'
splat_re+='|suspicious RCU usage|DEBUG_LOCKS_WARN_ON|INFO: task .* blocked for more than'
splat_re+='|detected stall|soft lockup|hard LOCKUP|unreferenced object'
splat_re+='|sleeping function called from invalid context'

tr -d '\r' <"$results" | awk -v verdict="$out/verdict" '
	function problem(s) { print s; problems++ }

	/^XEPOLL insmod / { insmod = $3 }
	/^XEPOLL rmmod / { rmmod = $3 }
	/^XEPOLL done/ { finished = "yes" }
	/^XEPOLL dmesg-begin/ { in_dmesg = 1; next }
	/^XEPOLL dmesg-end/ { in_dmesg = 0; next }
	in_dmesg { next }

	/^XEPOLL test-begin / {
		user = $3; test = $4; in_test = 1; cases = 0; bad = 0
		next
	}
	/^XEPOLL test-end / {
		rc = $4; in_test = 0
		if (cases == 0) {
			problem(test " (as " user "): ran no test case, exit " rc)
			failed++
		} else if (rc != 0 && bad == 0) {
			problem(test " (as " user "): exited " rc " with no failed case")
			failed++
		}
		test = ""
		next
	}
	in_test && /^ok [0-9]+ / {
		cases++
		if ($0 ~ /# (SKIP|skip)/) skipped++; else passed++
		next
	}
	in_test && /^not ok [0-9]+ / {
		cases++; bad++; failed++
		line = $0; sub(/^not ok [0-9]+ /, "", line)
		problem(test " (as " user "): FAIL " line)
		next
	}

	END {
		if (in_test) {
			problem(test " (as " user "): the guest stopped in this test")
			failed++
		}
		if (insmod != "ok") problem("the module did not load")
		if (rmmod != "ok") problem("the module did not unload")
		if (finished != "yes") problem("the guest did not finish (timed out, hung or panicked)")
		printf "passed=%d\nfailed=%d\nskipped=%d\ninsmod=%s\nrmmod=%s\nfinished=%s\n",
			passed, failed, skipped, insmod, rmmod, finished > verdict
		exit problems ? 1 : 0
	}
' && clean=1 || clean=0

# The kernel's log as the console carried it, then as dmesg read it at the
# end: a splat printed below the console's log level is still in the latter.
{ cat "$console"; tr -d '\r' <"$results" |
	sed -n '/^XEPOLL dmesg-begin/,/^XEPOLL dmesg-end/p'; } >"$out/kernel.log"
splats=$(grep -E -c "$splat_re" "$out/kernel.log" || true)
echo "splats=$splats" >>"$out/verdict"
if [ "$splats" -gt 0 ]; then
	echo "kernel splat in the guest's log ($out/kernel.log):"
	grep -E -m 5 "$splat_re" "$out/kernel.log" | sed 's/^/    /'
	clean=0
fi

[ "$clean" = 1 ]
