package flux2.model.image;

import java.nio.ByteBuffer;

/**
 * The image formats read (those the JDK's ImageIO readers and the WebP plugin decode), recognised by their first bytes
 * rather than by the file name. GIF and TIFF files give their first frame or page.
 */
public enum ImageFormat {
    PNG, JPEG, BMP, WEBP, GIF, TIFF;

    /** The formats for messages. */
    public static final String NAMES = "PNG, JPEG, WebP, BMP, GIF or TIFF";

    /** The format of a file starting with {@code head}, or null if it is none of them. */
    public static ImageFormat detect(byte[] head) { return detect(ByteBuffer.wrap(head)); }

    /** The format of a file whose bytes start at position 0 of {@code head}, or null if it is none of them. */
    public static ImageFormat detect(ByteBuffer head) {
        if (startsWith(head, 0, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) return PNG;
        if (startsWith(head, 0, 0xFF, 0xD8, 0xFF)) return JPEG;
        if (startsWith(head, 0, 'B', 'M')) return BMP;
        if (startsWith(head, 0, 'R', 'I', 'F', 'F') && startsWith(head, 8, 'W', 'E', 'B', 'P')) return WEBP;
        if (startsWith(head, 0, 'G', 'I', 'F', '8', '7', 'a') || startsWith(head, 0, 'G', 'I', 'F', '8', '9', 'a')) return GIF;
        if (startsWith(head, 0, 'I', 'I', 42, 0) || startsWith(head, 0, 'M', 'M', 0, 42)) return TIFF; // classic TIFF; BigTIFF has no reader here
        return null;
    }

    /** The name ImageIO knows the format's readers by. */
    String readerName() { return name().toLowerCase(java.util.Locale.ROOT); }

    private static boolean startsWith(ByteBuffer b, int at, int... sig) {
        if (b.limit() < at + sig.length) return false;
        for (int i = 0; i < sig.length; i++) if ((b.get(at + i) & 0xFF) != sig[i]) return false;
        return true;
    }
}
