package flux2.model.image;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.zip.CRC32;

/**
 * Checks the chunk structure of a PNG file before it is decoded, as libpng does: every chunk lies inside the file,
 * the file reaches its IEND chunk (else it is truncated), and critical chunks (IHDR, PLTE, IDAT, IEND: an upper-case
 * first letter) carry a correct CRC. A bad CRC in an ancillary chunk (text, colour profile, ...) is ignored, as
 * libpng does by default, since the pixels do not depend on it.
 */
final class PngChunks {
    private PngChunks() {}

    static void check(Path file, byte[] b) throws ImageLoadException {
        ByteBuffer buf = ByteBuffer.wrap(b);
        int p = 8;
        CRC32 crc = new CRC32();
        while (true) {
            if (p + 8 > b.length)
                throw new ImageLoadException(file, "truncated PNG: the file ends at byte " + b.length + " before its IEND chunk", null);
            long len = buf.getInt(p) & 0xFFFFFFFFL;
            String type = new String(b, p + 4, 4, StandardCharsets.ISO_8859_1);
            if (p + 12L + len > b.length)
                throw new ImageLoadException(file, "truncated PNG: chunk " + printable(type) + " at byte " + p + " declares " + len
                        + " bytes but the file ends at byte " + b.length, null);
            boolean critical = Character.isUpperCase(type.charAt(0));
            if (critical) {
                crc.reset();
                crc.update(b, p + 4, (int) len + 4);
                if ((int) crc.getValue() != buf.getInt(p + 8 + (int) len))
                    throw new ImageLoadException(file, "damaged PNG: chunk " + printable(type) + " at byte " + p + " has a wrong CRC", null);
            }
            if (type.equals("IEND")) return;
            p += 12 + (int) len;
        }
    }

    private static String printable(String type) {
        StringBuilder s = new StringBuilder("'");
        for (char c : type.toCharArray()) s.append(c >= 0x20 && c < 0x7F ? String.valueOf(c) : String.format("\\x%02X", (int) c));
        return s.append("'").toString();
    }
}
