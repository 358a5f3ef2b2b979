package flux2.server;

import static flux2.server.ServerFixture.json;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import flux2.trainer.Version;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Health, the pages, and environments: created from the example or copied, their files read and saved only when they validate. */
class EnvironmentApiTest {
    @TempDir Path root;
    ServerFixture s;

    @BeforeEach
    void start() throws Exception {
        s = new ServerFixture(root).start();
    }

    @AfterEach
    void stop() {
        s.close();
    }

    @Test
    void healthSaysOkWithTheVersionAndThePagesAreServed() throws Exception {
        JsonNode h = json(s.get("/api/health"), 200);
        assertEquals("ok", h.get("status").asText());
        assertEquals(Version.get(), h.get("version").asText());
        var page = s.get("/");
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("<script src=\"/assets/app.js\">"), page.body());
        assertEquals(200, s.get("/assets/app.js").statusCode());
        var uplot = s.get("/assets/uplot/uPlot.iife.min.js");
        assertEquals(200, uplot.statusCode());
        assertTrue(uplot.body().contains("uPlot"), "the webjar's script");
        JsonNode missing = json(s.get("/api/nothing"), 404);
        assertEquals("no such page or endpoint: GET /api/nothing", missing.get("error").asText());
    }

    @Test
    void anEnvironmentFromTheExampleValidatesAndIsListed() throws Exception {
        s.example("tiny");
        assertTrue(Files.isRegularFile(root.resolve("config/tiny/config.json")));
        assertTrue(Files.isRegularFile(root.resolve(ExampleProject.MODEL_DIR).resolve("transformer/config.json")));
        JsonNode list = json(s.get("/api/envs"), 200).get("envs");
        assertEquals(1, list.size());
        assertEquals("tiny", list.get(0).get("name").asText());
        assertEquals("config/tiny/config.json", list.get(0).get("config").asText());
        JsonNode env = json(s.get("/api/envs/tiny"), 200);
        assertTrue(env.get("valid").asBoolean(), env.toString());
        assertEquals("output/tiny", env.get("output_dir").asText());
        assertEquals("config/tiny/multidatabackend.json", env.get("files").get("multidatabackend.json").get("path").asText());
        JsonNode again = json(s.post("/api/envs", "{\"name\": \"tiny\", \"example\": true}"), 409);
        assertTrue(again.get("error").asText().contains("exists already"), again.toString());
    }

    @Test
    void aConfigThatDoesNotValidateIsRefusedWithTheLoadersMessageByKeyAndNotSaved() throws Exception {
        s.example("tiny");
        Path file = root.resolve("config/tiny/config.json");
        String before = Files.readString(file);
        ObjectNode c = (ObjectNode) Bodies.JSON.readTree(json(s.get("/api/envs/tiny/files/config.json"), 200).toString());
        c.put("lr_scheduler", "cosin");
        JsonNode bad = json(s.put("/api/envs/tiny/files/config.json", c.toString()), 400);
        JsonNode p = bad.get("problems").get(0);
        assertEquals(file.toRealPath().toString(), p.get("file").asText());
        assertEquals("lr_scheduler", p.get("key").asText());
        assertTrue(p.get("message").asText().contains("cosine"), "the allowed values: " + p);
        assertEquals(p.get("text").asText(), bad.get("error").asText(), "the line the command line prints");
        assertEquals(before, Files.readString(file), "nothing written");

        c.put("lr_scheduler", "cosine");
        c.put("learning_rat", 0.01);
        JsonNode typo = json(s.put("/api/envs/tiny/files/config.json", c.toString()), 400);
        assertTrue(typo.get("error").asText().endsWith("learning_rat: unknown key (did you mean learning_rate?)"), typo.toString());
        assertEquals(before, Files.readString(file));

        c.remove("learning_rat");
        // SimpleTuner's published configs end objects with a comma; the trainer reads them, so the editor takes them
        String trailing = c.toString().replaceFirst("}$", ",}");
        JsonNode ok = json(s.put("/api/envs/tiny/files/config.json", trailing), 200);
        assertEquals("config/tiny/config.json", ok.get("saved").asText());
        assertEquals("cosine", Bodies.JSON.readTree(Files.readString(file)).get("lr_scheduler").asText());
    }

    @Test
    void datasetAndPromptFilesAreValidatedThroughTheConfigThatNamesThem() throws Exception {
        s.example("tiny");
        Path backends = root.resolve("config/tiny/multidatabackend.json");
        String before = Files.readString(backends);
        JsonNode list = Bodies.JSON.readTree(before);
        ((ObjectNode) list.get(0)).put("resolution_type", "pixels");
        JsonNode bad = json(s.put("/api/envs/tiny/files/multidatabackend.json", list.toString()), 400);
        JsonNode p = bad.get("problems").get(0);
        assertEquals("resolution_type", p.get("key").asText());
        assertTrue(p.get("file").asText().startsWith(backends.toRealPath() + " [0 id=shapes]"), p.toString());
        assertEquals(before, Files.readString(backends));

        Path library = root.resolve("config/tiny/user_prompt_library.json");
        json(s.put("/api/envs/tiny/files/user_prompt_library.json", "{\"red_star\": \"a red star on a white background\"}"), 200);
        assertEquals("a red star on a white background", Bodies.JSON.readTree(Files.readString(library)).get("red_star").asText());
        JsonNode wrong = json(s.put("/api/envs/tiny/files/user_prompt_library.json", "[\"a list\"]"), 400);
        assertTrue(wrong.get("error").asText().startsWith(library.toRealPath().toString()), wrong.toString());
        json(s.get("/api/envs/tiny/files/other.json"), 404);
    }

    @Test
    void aCopyWritesToItsOwnOutputFolderAndSharesTheData() throws Exception {
        s.example("tiny");
        JsonNode copy = json(s.post("/api/envs", "{\"name\": \"tiny-2\", \"copy_of\": \"tiny\"}"), 201);
        assertEquals("tiny-2", copy.get("name").asText());
        JsonNode c = Bodies.JSON.readTree(Files.readString(root.resolve("config/tiny-2/config.json")));
        assertEquals("output/tiny-2", c.get("output_dir").asText());
        assertEquals("config/tiny-2/multidatabackend.json", c.get("data_backend_config").asText());
        assertEquals("config/tiny-2/user_prompt_library.json", c.get("user_prompt_library").asText());
        JsonNode d = Bodies.JSON.readTree(Files.readString(root.resolve("config/tiny-2/multidatabackend.json")));
        assertEquals("config/tiny/data", d.get(0).get("instance_data_dir").asText(), "the images are shared");
        assertEquals("output/tiny-2/cache/vae", d.get(0).get("cache_dir_vae").asText());
        assertEquals("output/tiny-2/cache/text", d.get(1).get("cache_dir").asText());
        assertTrue(json(s.get("/api/envs/tiny-2"), 200).get("valid").asBoolean());
        assertEquals(2, json(s.get("/api/envs"), 200).get("envs").size());
    }

    @Test
    void theDefaultEnvironmentIsConfigConfigJson() throws Exception {
        s.example("default");
        assertTrue(Files.isRegularFile(root.resolve("config/config.json")));
        assertEquals("config/multidatabackend.json", Bodies.JSON.readTree(Files.readString(root.resolve("config/config.json"))).get("data_backend_config").asText());
        assertTrue(json(s.get("/api/envs/default"), 200).get("valid").asBoolean());
    }

    @Test
    void badEnvironmentNamesAreRefused() throws Exception {
        assertTrue(json(s.post("/api/envs", "{\"name\": \"a b\", \"example\": true}"), 400).get("error").asText().contains("not allowed"));
        assertTrue(json(s.post("/api/envs", "{\"name\": \"../escape\", \"example\": true}"), 403).get("error").asText().contains("is a path"));
        assertFalse(Files.exists(root.resolve("escape")));
        assertTrue(json(s.post("/api/envs", "{\"name\": \"x\", \"copy_of\": \"absent\"}"), 404).get("error").asText().contains("no environment 'absent'"));
        assertTrue(json(s.post("/api/envs", "{\"name\": \"x\"}"), 400).get("error").asText().contains("\"example\": true"));
    }
}
