package flux2.server.jobs;

import java.util.List;

/** How the server runs the trainer in a child process: the command line for the trainer's arguments ("train", "--config", ...). */
@FunctionalInterface
public interface JobLauncher {
    List<String> command(List<String> trainerArgs);
}
