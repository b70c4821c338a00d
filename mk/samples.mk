# Lock scenarios run under the shim by the integration tests and the demo.
# Built without optimisation so that every frame and line is where the
# source says.
SAMPLE_CFLAGS = -std=gnu11 $(WARN_CFLAGS) -g -O0 -fno-omit-frame-pointer -pthread
sample_ldflags = -pthread

lock_samples = samples/abba
noinst_PROGRAMS += $(lock_samples)
samples_abba_CFLAGS = $(SAMPLE_CFLAGS)
samples_abba_LDFLAGS = $(sample_ldflags)

# The overhead benchmark (make bench): optimised like real code.
noinst_PROGRAMS += samples/lockbench
samples_lockbench_CFLAGS = -std=gnu11 $(WARN_CFLAGS) -O2 -g -pthread
samples_lockbench_LDFLAGS = -pthread
dist_noinst_SCRIPTS += scripts/bench.sh

bench: all
	$(SHELL) $(srcdir)/scripts/bench.sh $(abs_top_builddir)
.PHONY: bench
