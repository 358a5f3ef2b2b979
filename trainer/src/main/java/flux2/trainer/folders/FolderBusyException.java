package flux2.trainer.folders;

import java.io.IOException;
import java.nio.file.Path;

/** A folder another run holds locked: the message names the folder, the holder's process id and host, and the lock file. */
public final class FolderBusyException extends IOException {
    private final transient FolderLock.Holder holder;

    FolderBusyException(Path folder, Path lockFile, FolderLock.Holder holder) {
        super(folder + " is in use by another run: " + (holder != null ? holder.describe() : "a process that has not written its details yet")
                + " holds " + lockFile + ". Wait for it to end or stop it, or give this run a folder of its own");
        this.holder = holder;
    }

    /** The holder, or null when the lock file did not say. */
    public FolderLock.Holder holder() { return holder; }
}
