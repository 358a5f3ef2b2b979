package flux2.model.image;

import javax.imageio.stream.ImageInputStreamImpl;

/** An ImageIO input over bytes already in memory, so that decoding does not copy them into a stream cache first. */
final class BytesImageInputStream extends ImageInputStreamImpl {
    private final byte[] bytes;

    BytesImageInputStream(byte[] bytes) { this.bytes = bytes; }

    @Override
    public int read() {
        bitOffset = 0;
        return streamPos < bytes.length ? bytes[(int) streamPos++] & 0xFF : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        bitOffset = 0;
        if (len == 0) return 0;
        if (streamPos >= bytes.length) return -1;
        int n = (int) Math.min(len, bytes.length - streamPos);
        System.arraycopy(bytes, (int) streamPos, b, off, n);
        streamPos += n;
        return n;
    }

    @Override
    public long length() { return bytes.length; }
}
