package flux2.model.image;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * What an image file's header says, read without decoding pixels: its format, its stored size and its EXIF
 * orientation. {@link #width()} and {@link #height()} are the size as displayed (orientations 5-8 turn the image by
 * 90 degrees), which is the size {@link ImageFiles#read} returns.
 */
public record ImageHeader(ImageFormat format, int storedWidth, int storedHeight, int orientation) {

    /** Width as displayed. */
    public int width() { return orientation >= 5 ? storedHeight : storedWidth; }

    /** Height as displayed. */
    public int height() { return orientation >= 5 ? storedWidth : storedHeight; }

    /** The number of pixels decoding would produce. */
    public long pixels() { return (long) storedWidth * storedHeight; }

    /**
     * The header of {@code file}. The file is mapped rather than read, so that only the pages holding the header and
     * the EXIF block are touched; an {@link ImageLoadException} names the file and the problem.
     */
    public static ImageHeader read(Path file) throws ImageLoadException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE) throw new ImageLoadException(file, "the file is " + size + " bytes; image files above 2 GiB are not read", null);
            ByteBuffer bytes = size == 0 ? ByteBuffer.allocate(0) : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena).asByteBuffer();
            ImageFormat format = ImageFormat.detect(bytes);
            if (format == null) throw new ImageLoadException(file, "not a " + ImageFormat.NAMES + " image", null);
            int[] wh = storedSize(file, format);
            return new ImageHeader(format, wh[0], wh[1], ExifOrientation.read(bytes, format));
        } catch (ImageLoadException e) {
            throw e;
        } catch (NoSuchFileException e) {
            throw new ImageLoadException(file, "no such file", e);
        } catch (IOException e) {
            throw new ImageLoadException(file, "cannot read the file: " + e, e);
        }
    }

    private static int[] storedSize(Path file, ImageFormat format) throws ImageLoadException {
        try (ImageInputStream in = javax.imageio.ImageIO.createImageInputStream(file.toFile())) {
            return ImageFiles.withReader(file, format, in, ImageHeader::size);
        } catch (IOException e) {
            throw new ImageLoadException(file, "cannot read the file: " + e, e);
        }
    }

    private static int[] size(ImageReader r) throws IOException {
        return new int[]{r.getWidth(0), r.getHeight(0)};
    }
}
