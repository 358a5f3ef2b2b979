package flux2.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * The project folder (--root) and the rule that no request reads or writes outside it: a path given by a client
 * may not be absolute nor contain "..", and no path, once its symbolic links are followed, may leave the folder.
 * Every violation is a 403.
 */
public final class ProjectRoot {
    private final Path dir;

    public ProjectRoot(Path dir) {
        try {
            this.dir = Files.createDirectories(dir).toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the project folder " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The folder itself (its real path). */
    public Path dir() { return dir; }

    /** {@code relative} (a client's path, '/'-separated) resolved below {@code base}, which must itself be inside the root. */
    public Path resolve(Path base, String relative) {
        if (relative == null || relative.isEmpty()) throw ApiError.badRequest("empty path");
        if (relative.startsWith("/") || relative.startsWith("\\") || relative.matches("^[A-Za-z]:.*"))
            throw ApiError.forbidden("'" + relative + "' is an absolute path: paths are relative to the project folder");
        for (String part : relative.split("[/\\\\]"))
            if (part.equals("..")) throw ApiError.forbidden("'" + relative + "' goes up with '..': paths must stay inside the project folder");
        Path p;
        try {
            p = base.resolve(relative).normalize();
        } catch (InvalidPathException e) {
            throw ApiError.badRequest("'" + relative + "' is not a path: " + e.getReason());
        }
        if (!p.startsWith(base.normalize())) throw ApiError.forbidden("'" + relative + "' leaves its folder");
        return check(p);
    }

    /** A client's path relative to the root. */
    public Path resolve(String relative) {
        return resolve(dir, relative);
    }

    /**
     * {@code p} (absolute, or relative to the root) when it and, following symbolic links, what it points to are
     * inside the root; a 403 naming it otherwise. The path need not exist.
     */
    public Path check(Path p) {
        Path abs = dir.resolve(p).normalize();
        if (!abs.startsWith(dir)) throw ApiError.forbidden(display(p) + " is outside the project folder " + dir);
        // follow the links of the part that exists
        Path existing = abs;
        while (existing != null && !Files.exists(existing, java.nio.file.LinkOption.NOFOLLOW_LINKS)) existing = existing.getParent();
        if (existing != null) {
            try {
                Path real = existing.toRealPath();
                if (!real.startsWith(dir)) throw ApiError.forbidden(display(p) + " leads outside the project folder (a symbolic link to " + real + ")");
            } catch (IOException e) {
                // a dangling link: it points nowhere we could read
                throw ApiError.forbidden(display(p) + " is a link that cannot be followed: " + e.getMessage());
            }
        }
        return abs;
    }

    /** True when {@link #check} would accept {@code p}. */
    public boolean contains(Path p) {
        try {
            check(p);
            return true;
        } catch (ApiError e) {
            return false;
        }
    }

    /** {@code p} as shown to clients: relative to the root when inside it. */
    public String display(Path p) {
        Path abs = dir.resolve(p).normalize();
        return abs.startsWith(dir) ? (abs.equals(dir) ? "." : dir.relativize(abs).toString().replace('\\', '/')) : abs.toString();
    }
}
