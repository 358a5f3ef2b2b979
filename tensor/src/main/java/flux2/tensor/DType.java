package flux2.tensor;

import java.util.Locale;

/** Element types of tensors, with their sizes and safetensors names. */
public enum DType {
    F32(32, "F32", true),
    BF16(16, "BF16", true),
    F16(16, "F16", true),
    I64(64, "I64", false),
    I32(32, "I32", false),
    I8(8, "I8", false),
    U8(8, "U8", false),
    BOOL(8, "BOOL", false),
    /** Two signed 4-bit values per byte, low nibble first; used only by quantized weights. */
    I4(4, "I4", false);

    private final int bits;
    private final String safetensorsName;
    private final boolean floating;

    DType(int bits, String safetensorsName, boolean floating) {
        this.bits = bits;
        this.safetensorsName = safetensorsName;
        this.floating = floating;
    }

    public int bits() { return bits; }

    /** Bytes per element; 0 for packed types (use {@link #bytesFor(long)}). */
    public int byteSize() { return bits >= 8 ? bits / 8 : 0; }

    public boolean isFloating() { return floating; }

    public boolean isPacked() { return bits < 8; }

    /** Bytes needed for {@code numel} elements, rounding packed types up to whole bytes. */
    public long bytesFor(long numel) {
        return bits >= 8 ? numel * (bits / 8) : (numel * bits + 7) / 8;
    }

    public String safetensorsName() { return safetensorsName; }

    /** The dtype for a safetensors dtype string, or null if this engine does not know it. */
    public static DType fromSafetensors(String name) {
        for (DType t : values()) if (t.safetensorsName.equals(name)) return t;
        return null;
    }

    /** Parses a user-facing name such as "f32", "bf16" or "int8". */
    public static DType parse(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return switch (n) {
            case "f32", "fp32", "float32", "float" -> F32;
            case "bf16", "bfloat16" -> BF16;
            case "f16", "fp16", "float16", "half" -> F16;
            case "i64", "int64", "long" -> I64;
            case "i32", "int32", "int" -> I32;
            case "i8", "int8" -> I8;
            case "u8", "uint8" -> U8;
            case "bool" -> BOOL;
            case "i4", "int4" -> I4;
            default -> throw new IllegalArgumentException("unknown dtype '" + name + "'; allowed: f32, bf16, f16, i64, i32, i8, u8, bool, i4");
        };
    }
}
