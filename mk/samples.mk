# Lock scenarios run under the shim by the integration tests and the demo.
# Built without optimisation so that every frame and line is where the
# source says.
SAMPLE_CFLAGS = -std=gnu11 $(WARN_CFLAGS) -g -O0 -fno-omit-frame-pointer -pthread
sample_ldflags = -pthread

lock_samples = samples/abba
noinst_PROGRAMS += $(lock_samples)
samples_abba_CFLAGS = $(SAMPLE_CFLAGS)
samples_abba_LDFLAGS = $(sample_ldflags)
