package flux2.quant;

import java.util.List;

/**
 * How a weight is quantized: the format; for int4 the group size along the input dimension (the last group of a
 * row holds what is left when the group does not divide the input size) and whether each group has a zero point;
 * and whether each input column has a scale of its own besides the per-row (int8) or per-group (int4) ones. Its
 * {@link #id()} (for example {@code int8-col}, {@code int8}, {@code int4-g128-col}, {@code int4-g64-zp}) names
 * the scheme in checkpoint metadata.
 */
public record QuantScheme(QuantFormat format, int groupSize, boolean zeroPoint, boolean columnScales) {
    /** Group sizes int4 supports. */
    public static final List<Integer> GROUP_SIZES = List.of(32, 64, 128);
    public static final int DEFAULT_GROUP = 128;
    /**
     * int8 with a scale per input column and one per output row, w ~ q * row scale * column scale: a column of
     * large weights gets its own range instead of coarsening every row it crosses. The default int8.
     */
    public static final QuantScheme INT8 = new QuantScheme(QuantFormat.INT8, 0, false, true);
    /** int8 with one scale per output row only (id {@code int8}, as earlier checkpoints store it). */
    public static final QuantScheme INT8_ROW = new QuantScheme(QuantFormat.INT8, 0, false, false);
    /** int4 in symmetric groups of 128 with column scales, w ~ q * group scale * column scale. The default int4. */
    public static final QuantScheme INT4 = int4(DEFAULT_GROUP, false, true);

    public QuantScheme {
        if (format == null) throw new IllegalArgumentException("quantization format is null");
        if (format == QuantFormat.INT8 && (groupSize != 0 || zeroPoint))
            throw new IllegalArgumentException("int8 is per output channel and symmetric: no group size or zero point");
        if (format == QuantFormat.FP8_E4M3 && (groupSize != 0 || zeroPoint || columnScales))
            throw new IllegalArgumentException("fp8 e4m3 has one scale per output channel: no group size, zero point or column scales");
        if (format == QuantFormat.INT4 && !GROUP_SIZES.contains(groupSize))
            throw new IllegalArgumentException("int4 group size must be one of " + GROUP_SIZES + ", got " + groupSize);
    }

    /** fp8 e4m3fn values with one F32 scale per output row (id {@code fp8-e4m3}). */
    public static final QuantScheme FP8 = new QuantScheme(QuantFormat.FP8_E4M3, 0, false, false);

    /** int4 without column scales. */
    public static QuantScheme int4(int groupSize, boolean zeroPoint) {
        return int4(groupSize, zeroPoint, false);
    }

    public static QuantScheme int4(int groupSize, boolean zeroPoint, boolean columnScales) {
        return new QuantScheme(QuantFormat.INT4, groupSize, zeroPoint, columnScales);
    }

    /** Scale groups per row for {@code in} inputs: 1 for int8, ceil(in / group) for int4. */
    public int groups(int in) {
        return format == QuantFormat.INT4 ? (in + groupSize - 1) / groupSize : 1;
    }

    /** The scheme's name in checkpoint metadata. */
    public String id() {
        if (format == QuantFormat.INT8) return columnScales ? "int8-col" : "int8";
        if (format == QuantFormat.FP8_E4M3) return "fp8-e4m3";
        return "int4-g" + groupSize + (zeroPoint ? "-zp" : "") + (columnScales ? "-col" : "");
    }

    /** Parses an {@link #id()}. */
    public static QuantScheme parse(String id) {
        if ("int8".equals(id)) return INT8_ROW;
        if ("int8-col".equals(id)) return INT8;
        if ("fp8-e4m3".equals(id)) return FP8;
        if (id != null && id.startsWith("int4-g")) {
            String rest = id.substring(6);
            boolean col = rest.endsWith("-col");
            if (col) rest = rest.substring(0, rest.length() - 4);
            boolean zp = rest.endsWith("-zp");
            if (zp) rest = rest.substring(0, rest.length() - 3);
            try {
                return int4(Integer.parseInt(rest), zp, col);
            } catch (NumberFormatException ignored) {
                // falls through to the error below
            }
        }
        throw new IllegalArgumentException("unknown quantization scheme '" + id + "'; expected int8, int8-col, fp8-e4m3 or int4-g{32,64,128}[-zp][-col]");
    }

    /** Stored bytes per weight element (packed values plus scales and zero points), for large layers. */
    public double bytesPerParameter() {
        if (format != QuantFormat.INT4) return 1;
        return 0.5 + (zeroPoint ? 8.0 : 4.0) / groupSize;
    }
}
