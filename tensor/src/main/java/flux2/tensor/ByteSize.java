package flux2.tensor;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes of memory written by users: a whole number of bytes, or a number with a unit. K, M, G, T and KiB, MiB,
 * GiB, TiB are powers of 1024 (as in {@code java -Xmx8g}); KB, MB, GB, TB are powers of 1000 (as GPU makers count).
 */
public final class ByteSize {
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([a-z]*)");
    /** The accepted forms, for messages. */
    public static final String FORMS = "a whole number of bytes, or a number with a unit: K, M, G, T or KiB, MiB, GiB, TiB (powers of 1024), "
            + "KB, MB, GB, TB (powers of 1000); for example 80GB, 24GiB, 512M";

    private ByteSize() {}

    /** The bytes {@code text} stands for; an error naming {@code what} (the option or property) and the accepted forms. */
    public static long parse(String text, String what) {
        String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
        Matcher m = SIZE.matcher(t);
        if (!m.matches()) throw bad(text, what);
        double scale = switch (m.group(2)) {
            case "", "b" -> 1;
            case "k", "kib" -> 1L << 10;
            case "m", "mib" -> 1L << 20;
            case "g", "gib" -> 1L << 30;
            case "t", "tib" -> 1L << 40;
            case "kb" -> 1e3;
            case "mb" -> 1e6;
            case "gb" -> 1e9;
            case "tb" -> 1e12;
            default -> throw bad(text, what);
        };
        if (scale == 1 && m.group(1).contains(".")) throw bad(text, what);
        double bytes = Double.parseDouble(m.group(1)) * scale;
        if (!(bytes >= 1) || bytes > Long.MAX_VALUE / 2) throw bad(text, what);
        return (long) bytes;
    }

    private static IllegalArgumentException bad(String text, String what) {
        return new IllegalArgumentException(what + "='" + text + "': not a memory size greater than 0; allowed: " + FORMS);
    }

    /** bytes in GiB (binary), MiB below one GiB or KiB below one MiB, one decimal: "64.5 GiB", "12.0 MiB", "32.0 KiB". */
    public static String format(long bytes) {
        if (Math.abs(bytes) >= 1L << 30) return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
        if (Math.abs(bytes) >= 1L << 20) return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
        return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
    }
}
