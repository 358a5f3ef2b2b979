package flux2.server.jobs;

import java.util.Locale;

/**
 * Where a job is: launched but not yet reporting (queued), training (running), asked to stop (stopping), ended with
 * the trainer's "finished" event (finished, also after a stop), or ended any other way (failed: a failed event, or a
 * process gone without a finished event, such as a crash or a kill).
 */
public enum JobState {
    QUEUED, RUNNING, STOPPING, FINISHED, FAILED;

    /** True while the trainer process may still be working. */
    public boolean active() { return this == QUEUED || this == RUNNING || this == STOPPING; }

    /** The word the API uses. */
    public String key() { return name().toLowerCase(Locale.ROOT); }
}
