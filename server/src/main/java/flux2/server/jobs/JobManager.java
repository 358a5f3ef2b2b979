package flux2.server.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import flux2.server.ApiError;
import flux2.server.Bodies;
import flux2.server.EnvironmentEditor;
import flux2.server.Environments;
import flux2.server.ProjectRoot;
import flux2.trainer.config.ConfigException;
import flux2.trainer.config.TrainConfig;
import flux2.trainer.events.EventLog;
import flux2.trainer.train.StopRequest;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Starts, stops and keeps track of training jobs. A job is the trainer in a child process (a crash in training never
 * takes the server down), with its output in {@code <root>/.flux2/jobs/<id>/train.log}. One job per environment (and
 * per output folder) at a time. Stop writes the trainer's stop request, which makes it finish the current step,
 * write a checkpoint and exit; a trainer still running after the deadline is killed. The jobs of earlier servers
 * on the same folder are read back at start. Closing the manager stops the jobs it runs the same way.
 */
public final class JobManager implements Closeable {
    private static final Pattern OVERRIDE_KEY = Pattern.compile("[A-Za-z0-9_]{1,100}");
    private static final DateTimeFormatter ID_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    private final ProjectRoot root;
    private final Environments envs;
    private final EnvironmentEditor editor;
    private final JobLauncher launcher;
    private final Duration stopDeadline;
    private final Consumer<String> log;
    private final Path jobsDir;
    private final Map<String, Job> jobs = new LinkedHashMap<>();
    private final ScheduledExecutorService deadlines;

    public JobManager(ProjectRoot root, Environments envs, EnvironmentEditor editor, JobLauncher launcher, Duration stopDeadline, Consumer<String> log)
            throws IOException {
        this.root = root;
        this.envs = envs;
        this.editor = editor;
        this.launcher = launcher;
        this.stopDeadline = stopDeadline;
        this.log = log;
        this.jobsDir = root.check(root.dir().resolve(".flux2").resolve("jobs"));
        this.deadlines = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "flux2-server-job-deadlines");
            t.setDaemon(true);
            return t;
        });
        load();
    }

    /** The jobs of earlier servers on this folder. */
    private void load() throws IOException {
        if (!Files.isDirectory(jobsDir)) return;
        try (Stream<Path> s = Files.list(jobsDir)) {
            for (Path d : s.sorted().toList()) {
                Path f = d.resolve("job.json");
                if (!Files.isRegularFile(f)) continue;
                try {
                    JobRecord r = JobRecord.fromJson(Bodies.readFile(f));
                    jobs.put(r.id, new Job(r, d));
                } catch (IOException | RuntimeException e) {
                    log.accept("warning: skipped job record " + f + ": " + e.getMessage());
                }
            }
        }
    }

    /** Every job, newest first. */
    public synchronized List<Job> list() {
        List<Job> all = new ArrayList<>(jobs.values());
        all.sort(Comparator.comparing((Job j) -> j.record().created).reversed());
        return all;
    }

    /** The job {@code id}; a 404 when there is none. */
    public synchronized Job get(String id) {
        Job j = jobs.get(id);
        if (j == null) throw ApiError.notFound("no job '" + id + "'");
        return j;
    }

    /** The newest job of environment {@code env}, or null. */
    public synchronized Job latest(String env) {
        return list().stream().filter(j -> j.env().equals(env)).findFirst().orElse(null);
    }

    /**
     * Starts the training of environment {@code envName} with {@code overrides} (a JSON object of config keys), after
     * validating the config with them as the trainer will; 400 when it does not validate, 403 when it writes outside
     * the project folder, 409 when the environment or its output folder has a job running.
     */
    public synchronized Job start(String envName, JsonNode overrides) throws IOException {
        Environments.Env env = envs.get(envName);
        List<String> args = overrideArgs(overrides);
        TrainConfig config;
        try {
            config = editor.load(env, args);
        } catch (ConfigException e) {
            throw EnvironmentEditor.invalid(e);
        }
        Path outDir = root.check(config.outputDir());
        for (Job j : jobs.values()) {
            JobState s = j.state();
            if (!s.active()) continue;
            if (j.env().equals(envName))
                throw ApiError.conflict("environment '" + envName + "' has a job " + s.key() + " (" + j.id() + "): one job per environment at a time; stop it first");
            if (j.outputDir().equals(outDir))
                throw ApiError.conflict("job " + j.id() + " of environment '" + j.env() + "' is " + s.key() + " in the same output folder " + root.display(outDir));
        }
        Files.createDirectories(outDir);
        // a stop request left by an earlier run must not stop this one
        Files.deleteIfExists(outDir.resolve(StopRequest.FILE_NAME));
        Path events = outDir.resolve(EventLog.FILE_NAME);
        long offset = Files.isRegularFile(events) ? Files.size(events) : 0;

        String id = newId(envName);
        Path dir = Files.createDirectories(jobsDir.resolve(id));
        List<String> trainArgs = new ArrayList<>(List.of("train", "--config", env.config().toString()));
        trainArgs.addAll(args);
        List<String> command = launcher.command(trainArgs);
        JobRecord r = new JobRecord(id, envName, env.config(), outDir, offset, command,
                overrides == null ? Bodies.JSON.createObjectNode() : overrides, Instant.now());
        Job job = new Job(r, dir);
        job.save();
        jobs.put(id, job);
        ProcessBuilder pb = new ProcessBuilder(command).directory(root.dir().toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(job.logFile().toFile()));
        try {
            Process p = pb.start();
            job.attach(p);
            job.save();
            p.onExit().thenAccept(done -> job.ended(done.exitValue()));
        } catch (IOException e) {
            r.launchError = e.getMessage();
            r.ended = Instant.now();
            job.save();
        }
        return job;
    }

    /** Asks job {@code id} to stop after its current step, with a checkpoint; kills it after the deadline. 409 unless it is active. */
    public synchronized Job stop(String id) throws IOException {
        Job j = get(id);
        JobState s = j.state();
        if (!s.active()) throw ApiError.conflict("job " + id + " is " + s.key() + ": only a queued or running job can be stopped");
        if (j.record().stopRequested == null) {
            j.record().stopRequested = Instant.now();
            j.save();
        }
        StopRequest.request(j.outputDir());
        deadlines.schedule(() -> killIfAlive(j, "killed: it did not stop within " + stopDeadline.toSeconds() + " s of the stop request"),
                stopDeadline.toMillis(), TimeUnit.MILLISECONDS);
        return j;
    }

    private void killIfAlive(Job j, String why) {
        j.handle().ifPresent(h -> {
            j.record().killed = why;
            try {
                j.save();
            } catch (IOException ignored) {
                // the kill matters more than its record
            }
            h.descendants().forEach(ProcessHandle::destroyForcibly);
            h.destroyForcibly();
        });
    }

    /** Stops the jobs this server runs (stop request, then the deadline, then a kill) and ends the deadline thread. */
    @Override
    public void close() {
        List<Job> active;
        synchronized (this) {
            active = jobs.values().stream().filter(j -> j.ownProcess() && j.handle().isPresent()).toList();
        }
        for (Job j : active) {
            try {
                if (j.state().active()) stop(j.id());
            } catch (IOException | ApiError e) {
                log.accept("warning: cannot ask job " + j.id() + " to stop: " + e.getMessage());
            }
        }
        long until = System.nanoTime() + stopDeadline.toNanos();
        for (Job j : active) {
            j.handle().ifPresent(h -> {
                try {
                    h.onExit().get(Math.max(0, until - System.nanoTime()), TimeUnit.NANOSECONDS);
                } catch (Exception timedOut) {
                    killIfAlive(j, "killed: the server was closing and the job did not stop within " + stopDeadline.toSeconds() + " s");
                }
            });
            j.handle().ifPresent(h -> h.onExit().join());
        }
        deadlines.shutdownNow();
        try {
            deadlines.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** "--key value" pairs from a JSON object of config keys; a 400 for anything else. */
    static List<String> overrideArgs(JsonNode overrides) {
        List<String> args = new ArrayList<>();
        if (overrides == null || overrides.isNull() || overrides.isMissingNode()) return args;
        if (!overrides.isObject()) throw ApiError.badRequest("overrides must be a JSON object of config keys and values, like {\"max_train_steps\": 20}");
        for (var it = overrides.fields(); it.hasNext(); ) {
            var f = it.next();
            if (!OVERRIDE_KEY.matcher(f.getKey()).matches())
                throw ApiError.badRequest("override key '" + f.getKey() + "' is not a config key: letters, digits and '_'");
            JsonNode v = f.getValue();
            if (v.isNull()) throw ApiError.badRequest("override " + f.getKey() + " is null: give a value, or leave the key out");
            args.add("--" + f.getKey());
            args.add(v.isValueNode() ? v.asText() : v.toString());
        }
        return args;
    }

    private String newId(String env) {
        String base = ID_TIME.format(Instant.now()) + "-" + env;
        String id = base;
        for (int n = 2; jobs.containsKey(id) || Files.exists(jobsDir.resolve(id)); n++) id = base + "-" + n;
        return id;
    }
}
