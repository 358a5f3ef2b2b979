package flux2.model.image;

import java.io.IOException;
import java.nio.file.Path;

/** An image file that cannot be used: unreadable, corrupt, of an unsupported format or rejected by policy. */
public final class ImageLoadException extends IOException {
    private final Path file;

    public ImageLoadException(Path file, String reason, Throwable cause) {
        super(file + ": " + reason, cause);
        this.file = file;
    }

    /** The file the problem is about. */
    public Path file() { return file; }
}
