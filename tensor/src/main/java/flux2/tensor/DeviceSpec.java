package flux2.tensor;

import java.util.Locale;
import java.util.ServiceLoader;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A compute device as users name it: {@code cpu}, {@code opencl:N} or {@code cuda:N}. */
public record DeviceSpec(String backend, int ordinal) {
    /** What a device string may be, for error messages. */
    public static final String ALLOWED = "cpu, opencl:N or cuda:N (N = 0, 1, ...; `doctor` lists the devices)";

    private static final Pattern FORM = Pattern.compile("(cpu)|(opencl|cuda)(?::(\\d{1,4}))?");

    /** Parses a device string ("cuda" alone means cuda:0); an error naming the value and what is allowed. */
    public static DeviceSpec parse(String text) {
        String s = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        Matcher m = FORM.matcher(s);
        if (!m.matches()) throw new IllegalArgumentException("device '" + text + "' is not one of " + ALLOWED);
        if (m.group(1) != null) return new DeviceSpec("cpu", 0);
        return new DeviceSpec(m.group(2), m.group(3) == null ? 0 : Integer.parseInt(m.group(3)));
    }

    public boolean isCpu() { return backend.equals("cpu"); }

    /**
     * The backend of this device, opened through its {@link BackendProvider}; a one-line error when that
     * backend is not in this build, cannot run here, or has no such device.
     */
    public Backend open() {
        if (isCpu()) return Backends.cpu();
        for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
            BackendProvider.Probe probe = p.probe();
            if (!probe.name().equals(backend)) continue;
            if (!probe.usable()) throw new IllegalArgumentException("device " + this + " cannot be used: " + probe.detail());
            return p.open(ordinal);
        }
        throw new IllegalArgumentException("device " + this + ": no " + backend + " backend in this build");
    }

    @Override
    public String toString() { return isCpu() ? "cpu" : backend + ":" + ordinal; }
}
