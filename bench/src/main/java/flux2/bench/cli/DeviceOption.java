package flux2.bench.cli;

import flux2.tensor.Backend;
import flux2.tensor.DeviceSpec;
import picocli.CommandLine.Option;

/** The --device option of the benchmarks: where the timed work runs. */
public final class DeviceOption {
    @Option(names = "--device", paramLabel = "DEVICE", defaultValue = "cpu",
            description = "Run on cpu, opencl:N or cuda:N (default ${DEFAULT-VALUE}; `doctor` lists the devices).")
    String device;

    /** The opened backend; an error naming the value and what is allowed when it is not a usable device. */
    Backend open() { return DeviceSpec.parse(device).open(); }

    /** Waits for work queued on a device backend, so that a timed call includes it (nothing to wait for on the CPU). */
    static void sync(Backend b) {
        b.finish();
    }
}
