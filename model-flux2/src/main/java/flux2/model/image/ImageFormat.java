package flux2.model.image;

/** The image formats read, recognised by their first bytes rather than by the file name. */
public enum ImageFormat {
    PNG, JPEG, BMP, WEBP;

    /** The format of a file starting with {@code head}, or null if it is none of them. */
    public static ImageFormat detect(byte[] head) {
        if (startsWith(head, 0, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) return PNG;
        if (startsWith(head, 0, 0xFF, 0xD8, 0xFF)) return JPEG;
        if (startsWith(head, 0, 'B', 'M')) return BMP;
        if (startsWith(head, 0, 'R', 'I', 'F', 'F') && startsWith(head, 8, 'W', 'E', 'B', 'P')) return WEBP;
        return null;
    }

    private static boolean startsWith(byte[] b, int at, int... sig) {
        if (b.length < at + sig.length) return false;
        for (int i = 0; i < sig.length; i++) if ((b[at + i] & 0xFF) != sig[i]) return false;
        return true;
    }
}
