package flux2.trainer.folders;

import java.nio.file.Path;

/** A process that locks the folder named by its argument, says so on stdout, and holds it until it is killed. */
public final class LockHolderMain {
    public static void main(String[] args) throws Exception {
        FolderLock lock = FolderLock.tryAcquire(Path.of(args[0]), "test holder", System.out::println);
        System.out.println(lock == null ? "busy" : "locked " + ProcessHandle.current().pid());
        System.out.flush();
        if (lock != null) Thread.sleep(120_000);
    }
}
