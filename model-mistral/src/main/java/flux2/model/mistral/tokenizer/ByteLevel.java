package flux2.model.mistral.tokenizer;

/**
 * GPT-2's byte-to-character map of byte-level BPE: printable bytes (33..126, 161..172, 174..255) stand for
 * themselves, the other 68 take code points 256, 257, ... in byte order (space is 'Ġ', newline 'Ċ').
 */
final class ByteLevel {
    private ByteLevel() {}

    /** Code point -> byte, -1 where none. */
    static int[] charToByte() {
        int[] out = new int[256 + 256];
        java.util.Arrays.fill(out, -1);
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
            out[printable ? b : next++] = b;
        }
        return out;
    }

    /** Byte -> its character, the inverse of {@link #charToByte()}. */
    static char[] byteToChar() {
        int[] c2b = charToByte();
        char[] out = new char[256];
        for (int c = 0; c < c2b.length; c++) if (c2b[c] >= 0) out[c2b[c]] = (char) c;
        return out;
    }

    static String encode(byte[] bytes, char[] byteToChar) {
        char[] out = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) out[i] = byteToChar[bytes[i] & 0xff];
        return new String(out);
    }

    static byte[] decode(String s, int[] charToByte) {
        byte[] out = new byte[s.length()];
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            int b = c < charToByte.length ? charToByte[c] : -1;
            if (b < 0) throw new IllegalArgumentException("token '" + s + "' has a character outside the byte-level alphabet");
            out[i] = (byte) b;
        }
        return out;
    }
}
