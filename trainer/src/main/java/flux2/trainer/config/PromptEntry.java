package flux2.trainer.config;

/** One user_prompt_library.json entry: the short name used in validation image file names, and its prompt. */
public record PromptEntry(String shortname, String prompt) {}
