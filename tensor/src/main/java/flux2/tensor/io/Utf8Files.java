package flux2.tensor.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Reads text files that must be UTF-8 (configs, captions, tokenizer and checkpoint JSON). A UTF-8 byte-order mark is
 * skipped; UTF-16 and UTF-32 (told by their byte-order mark or their zero bytes) and any other byte that is not UTF-8
 * are errors that say where decoding stopped and what the file appears to be, instead of a decoder's bare
 * "Input length = 1".
 */
public final class Utf8Files {
    private Utf8Files() {}

    /** The text of {@code file}; a {@link NotUtf8Exception} names the file when it is not UTF-8. */
    public static String read(Path file) throws IOException {
        return decode(file, Files.readAllBytes(file));
    }

    /** The text of {@code bytes} read from {@code file}, without a leading UTF-8 byte-order mark. */
    public static String decode(Path file, byte[] bytes) throws NotUtf8Exception {
        String problem = problem(bytes);
        if (problem != null) throw new NotUtf8Exception(file, problem);
        int skip = hasUtf8Bom(bytes) ? 3 : 0;
        return new String(bytes, skip, bytes.length - skip, StandardCharsets.UTF_8);
    }

    /** Why {@code bytes} are not UTF-8 text, or null when they are. */
    public static String problem(byte[] bytes) {
        String wide = wideEncoding(bytes);
        if (wide != null) return "the text is " + wide + "; only UTF-8 is read: save the file as UTF-8";
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(4096);
        while (true) {
            CoderResult r = d.decode(in, out, true);
            if (r.isError()) return invalidAt(bytes, in.position(), r.length());
            if (r.isUnderflow()) break;
            out.clear();
        }
        out.clear();
        CoderResult r = d.flush(out);
        return r.isError() ? invalidAt(bytes, in.position(), r.length()) : null;
    }

    /** The name of a UTF-16 or UTF-32 encoding {@code bytes} are in (by byte-order mark or zero bytes), or null. */
    static String wideEncoding(byte[] b) {
        if (startsWith(b, 0xFF, 0xFE, 0x00, 0x00)) return "UTF-32 (little-endian, with a byte-order mark)";
        if (startsWith(b, 0x00, 0x00, 0xFE, 0xFF)) return "UTF-32 (big-endian, with a byte-order mark)";
        if (startsWith(b, 0xFF, 0xFE)) return "UTF-16 (little-endian, with a byte-order mark)";
        if (startsWith(b, 0xFE, 0xFF)) return "UTF-16 (big-endian, with a byte-order mark)";
        // ASCII text in UTF-16 without a mark has a zero byte beside every character
        if (b.length >= 4 && b[0] != 0 && b[1] == 0 && b[2] != 0 && b[3] == 0) return "UTF-16 (little-endian: a zero byte after each character)";
        if (b.length >= 4 && b[0] == 0 && b[1] != 0 && b[2] == 0 && b[3] != 0) return "UTF-16 (big-endian: a zero byte before each character)";
        return null;
    }

    private static String invalidAt(byte[] b, int at, int length) {
        int line = 1, column = 1;
        for (int i = 0; i < at; i++) {
            if (b[i] == '\n') {
                line++;
                column = 1;
            } else if ((b[i] & 0xC0) != 0x80) column++; // count characters, not continuation bytes
        }
        StringBuilder bytes = new StringBuilder();
        for (int i = at; i < Math.min(b.length, at + Math.max(1, length)); i++)
            bytes.append(bytes.isEmpty() ? "" : " ").append(String.format(Locale.ROOT, "0x%02X", b[i] & 0xFF));
        String hint = length == 1 && (b[at] & 0xFF) >= 0x80 ? " (the file looks like Latin-1 or Windows-1252 text)" : "";
        return "not UTF-8 text: byte" + (length > 1 ? "s " : " ") + bytes + " at offset " + at + " (line " + line + ", column " + column
                + ") " + (length > 1 ? "are" : "is") + " not valid UTF-8" + hint + "; save the file as UTF-8";
    }

    private static boolean hasUtf8Bom(byte[] b) { return startsWith(b, 0xEF, 0xBB, 0xBF); }

    private static boolean startsWith(byte[] b, int... sig) {
        if (b.length < sig.length) return false;
        for (int i = 0; i < sig.length; i++) if ((b[i] & 0xFF) != sig[i]) return false;
        return true;
    }
}
