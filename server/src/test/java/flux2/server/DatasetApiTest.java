package flux2.server;

import static flux2.server.ServerFixture.json;
import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Datasets page's API: image counts, captions, thumbnails, caption edits, and the pairing of a conditioning dataset. */
class DatasetApiTest {
    @TempDir Path root;
    ServerFixture s;

    @BeforeEach
    void start() throws Exception {
        s = new ServerFixture(root).start();
        s.example("tiny");
    }

    @AfterEach
    void stop() {
        s.close();
    }

    @Test
    void listsTheImagesWithTheirCaptionsAndServesThumbnails() throws Exception {
        JsonNode ds = json(s.get("/api/envs/tiny/datasets"), 200).get("datasets");
        JsonNode shapes = ds.get(0);
        assertEquals("shapes", shapes.get("id").asText());
        assertEquals("image", shapes.get("type").asText());
        assertEquals(72, shapes.get("count").asInt());
        assertEquals(72, shapes.get("images").size());
        assertEquals("textfile", shapes.get("caption_strategy").asText());
        assertTrue(shapes.get("captions_editable").asBoolean());
        JsonNode first = shapes.get("images").get(0);
        String path = first.get("path").asText();
        String caption = Files.readString(root.resolve("config/tiny/data").resolve(path.replace(".png", ".txt"))).strip();
        assertEquals(caption, first.get("captions").get(0).asText());
        assertEquals(caption, first.get("text").asText(), "the text file an edit replaces");
        assertEquals("text_embeds", ds.get(1).get("type").asText());
        assertEquals("output/tiny/cache/text", ds.get(1).get("cache_dir").asText());

        HttpResponse<byte[]> full = ServerFixture.HTTP.send(s.request("/api/envs/tiny/datasets/shapes/images/" + path).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, full.statusCode());
        assertArrayEquals(Files.readAllBytes(root.resolve("config/tiny/data").resolve(path)), full.body());
        HttpResponse<byte[]> thumb = ServerFixture.HTTP.send(s.request("/api/envs/tiny/datasets/shapes/images/" + path + "?thumb=16").build(), HttpResponse.BodyHandlers.ofByteArray());
        BufferedImage t = ImageIO.read(new ByteArrayInputStream(thumb.body()));
        assertEquals(16, t.getWidth(), "the 32x32 image scaled to 16");
        assertEquals(400, s.get("/api/envs/tiny/datasets/shapes/images/" + path + "?thumb=big").statusCode());
        assertEquals(404, s.get("/api/envs/tiny/datasets/shapes/images/none.png").statusCode());
        assertEquals(404, s.get("/api/envs/tiny/datasets/nope/images/" + path).statusCode());
    }

    @Test
    void editsATextfileCaption() throws Exception {
        String path = json(s.get("/api/envs/tiny/datasets"), 200).get("datasets").get(0).get("images").get(0).get("path").asText();
        Path txt = root.resolve("config/tiny/data").resolve(path.replace(".png", ".txt"));
        JsonNode saved = json(s.put("/api/envs/tiny/datasets/shapes/captions/" + path, "{\"caption\": \"a zorblax, edited\"}"), 200);
        assertEquals("config/tiny/data/" + path.replace(".png", ".txt"), saved.get("saved").asText());
        assertEquals("a zorblax, edited\n", Files.readString(txt));
        assertEquals("a zorblax, edited", json(s.get("/api/envs/tiny/datasets"), 200).get("datasets").get(0).get("images").get(0).get("captions").get(0).asText());
        assertEquals(400, s.put("/api/envs/tiny/datasets/shapes/captions/" + path, "{\"caption\": \"  \"}").statusCode());
        assertEquals(400, s.put("/api/envs/tiny/datasets/shapes/captions/" + path, "{\"text\": \"x\"}").statusCode());
        assertEquals("a zorblax, edited\n", Files.readString(txt));
    }

    @Test
    void showsTheConditioningPairingWithTheImagesThatHaveNoPartner() throws Exception {
        Path data = root.resolve("config/tiny/data"), refs = Files.createDirectories(root.resolve("config/tiny/references"));
        List<String> names = new ArrayList<>();
        try (var st = Files.list(data)) {
            st.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".png")).sorted().forEach(names::add);
        }
        // a reference for every image but the first, and one for no image
        for (String n : names.subList(1, names.size())) Files.copy(data.resolve(n), refs.resolve(n));
        Files.copy(data.resolve(names.getFirst()), refs.resolve("stray.png"));
        ArrayNode list = (ArrayNode) Bodies.JSON.readTree(Files.readString(root.resolve("config/tiny/multidatabackend.json")));
        ((ObjectNode) list.get(0)).put("conditioning_data", "references");
        ObjectNode ref = list.insertObject(1);
        ref.put("id", "references").put("type", "local").put("dataset_type", "conditioning").put("conditioning_type", "reference_strict")
                .put("instance_data_dir", "config/tiny/references").put("cache_dir_vae", "output/tiny/cache/vae-references");
        json(s.put("/api/envs/tiny/files/multidatabackend.json", list.toString()), 200);

        JsonNode ds = json(s.get("/api/envs/tiny/datasets"), 200).get("datasets");
        assertEquals("references", ds.get(0).get("conditioning").get(0).asText());
        JsonNode c = ds.get(1);
        assertEquals("conditioning", c.get("type").asText());
        assertEquals("reference_strict", c.get("conditioning_type").asText());
        assertEquals(72, c.get("count").asInt());
        JsonNode pairing = c.get("paired_with").get(0);
        assertEquals("shapes", pairing.get("dataset").asText());
        assertEquals(71, pairing.get("pairs").asInt());
        assertEquals(List.of(names.getFirst()), Bodies.JSON.convertValue(pairing.get("images_without_reference"), List.class));
        assertEquals(List.of("stray"), Bodies.JSON.convertValue(c.get("references_without_image"), List.class));
        JsonNode noEdit = json(s.put("/api/envs/tiny/datasets/references/captions/stray.png", "{\"caption\": \"x\"}"), 409);
        assertTrue(noEdit.get("error").asText().contains("not from text files"), noEdit.toString());
    }
}
