package flux2.quant;

import java.util.List;

/**
 * How a weight is quantized: the format, and for int4 the group size along the input dimension and whether
 * each group has a zero point. Its {@link #id()} (for example {@code int8}, {@code int4-g128},
 * {@code int4-g64-zp}) names the scheme in checkpoint metadata.
 */
public record QuantScheme(QuantFormat format, int groupSize, boolean zeroPoint) {
    /** Group sizes int4 supports. */
    public static final List<Integer> GROUP_SIZES = List.of(32, 64, 128);
    public static final int DEFAULT_GROUP = 128;
    public static final QuantScheme INT8 = new QuantScheme(QuantFormat.INT8, 0, false);
    public static final QuantScheme INT4 = int4(DEFAULT_GROUP, false);

    public QuantScheme {
        if (format == null) throw new IllegalArgumentException("quantization format is null");
        if (format == QuantFormat.INT8 && (groupSize != 0 || zeroPoint))
            throw new IllegalArgumentException("int8 is per output channel and symmetric: no group size or zero point");
        if (format == QuantFormat.INT4 && !GROUP_SIZES.contains(groupSize))
            throw new IllegalArgumentException("int4 group size must be one of " + GROUP_SIZES + ", got " + groupSize);
    }

    public static QuantScheme int4(int groupSize, boolean zeroPoint) {
        return new QuantScheme(QuantFormat.INT4, groupSize, zeroPoint);
    }

    /** The scheme's name in checkpoint metadata. */
    public String id() {
        return format == QuantFormat.INT8 ? "int8" : "int4-g" + groupSize + (zeroPoint ? "-zp" : "");
    }

    /** Parses an {@link #id()}. */
    public static QuantScheme parse(String id) {
        if ("int8".equals(id)) return INT8;
        if (id != null && id.startsWith("int4-g")) {
            String rest = id.substring(6);
            boolean zp = rest.endsWith("-zp");
            if (zp) rest = rest.substring(0, rest.length() - 3);
            try {
                return int4(Integer.parseInt(rest), zp);
            } catch (NumberFormatException ignored) {
                // falls through to the error below
            }
        }
        throw new IllegalArgumentException("unknown quantization scheme '" + id + "'; expected int8 or int4-g{32,64,128}[-zp]");
    }

    /** Stored bytes per weight element (packed values plus scales and zero points). */
    public double bytesPerParameter() {
        if (format == QuantFormat.INT8) return 1;
        return 0.5 + (zeroPoint ? 8.0 : 4.0) / groupSize;
    }
}
