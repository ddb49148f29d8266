/* Plugin manifests: the format of docs/plugins.md and its line-numbered
 * errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "plugin/manifest.h"
#include "pquic/errors.h"
#include "wire/frame.h"

static int parse(const char *text, pq_manifest *mf, char *err) {
  return pq_manifest_parse(text, strlen(text), mf, err, 160);
}

static void full_manifest(void **state) {
  (void)state;
  const char *text = "# a plugin\n"
                     "plugin org.pquic.example.ping-frame\n"
                     "memory 32k   # bytes\n"
                     "congestion_controlled no\n"
                     "frame 0x3f5e ack_eliciting in_flight packets=0rtt,1rtt\n"
                     "frame 0x3f5f\n"
                     "\n"
                     "process_frame param 0x3f5e replace ping.o process_ping\n"
                     "packet_sent post stats.o on_sent\r\n"
                     "ping external ping.o do_ping\n"
                     "packet_sent pre ping.o before_sent";
  pq_manifest mf;
  char err[160];
  assert_int_equal(parse(text, &mf, err), 0);
  assert_string_equal(mf.name, "org.pquic.example.ping-frame");
  assert_int_equal(mf.memory, 32 * 1024);
  assert_int_equal(mf.cc, 0);
  assert_int_equal(mf.n_frames, 2);
  assert_int_equal(mf.frames[0].type, 0x3f5e);
  assert_int_equal(mf.frames[0].props, PQ_FRAME_ACK_ELICITING | PQ_FRAME_IN_FLIGHT |
                                           PQ_FRAME_IN_0RTT | PQ_FRAME_IN_1RTT);
  assert_int_equal(mf.frames[1].props, PQ_FRAME_IN_1RTT);
  assert_non_null(pq_manifest_frame(&mf, 0x3f5f));
  assert_null(pq_manifest_frame(&mf, 0x3f60));
  assert_int_equal(mf.n_objects, 2);
  assert_string_equal(mf.objects[0], "ping.o");
  assert_string_equal(mf.objects[1], "stats.o");
  assert_int_equal(mf.n_pluglets, 4);
  const pq_mf_pluglet *p = &mf.pluglets[0];
  assert_string_equal(p->op, "process_frame");
  assert_true(p->has_param);
  assert_int_equal(p->param, 0x3f5e);
  assert_int_equal(p->anchor, PQ_MF_REPLACE);
  assert_int_equal(p->obj, 0);
  assert_string_equal(p->fn, "process_ping");
  assert_int_equal(p->line, 8);
  assert_int_equal(mf.pluglets[1].anchor, PQ_MF_POST);
  assert_int_equal(mf.pluglets[1].obj, 1);
  assert_int_equal(mf.pluglets[1].line, 9);
  assert_int_equal(mf.pluglets[2].anchor, PQ_MF_EXTERNAL);
  assert_false(mf.pluglets[2].has_param);
  assert_int_equal(mf.pluglets[3].anchor, PQ_MF_PRE);
  pq_manifest_free(&mf);
}

static void defaults(void **state) {
  (void)state;
  pq_manifest mf;
  char err[160];
  assert_int_equal(parse("plugin a.b\nx replace o f\n", &mf, err), 0);
  assert_int_equal(mf.memory, PQ_MF_DEFAULT_MEMORY);
  assert_int_equal(mf.cc, 1);
  assert_int_equal(mf.n_frames, 0);
  pq_manifest_free(&mf);
}

/* Each bad manifest fails with its line and a word about what is wrong. */
static void errors(void **state) {
  (void)state;
  static const struct {
    const char *text;
    const char *msg;
  } cases[] = {
      {"x replace o f\n", "line 1: no `plugin NAME`"},
      {"plugin a.b\n", "no pluglets"},
      {"plugin Org.Example\nx replace o f\n", "line 1: plugin name `Org.Example` is not reverse"},
      {"plugin single\nx replace o f\n", "line 1: plugin name `single`"},
      {"plugin a..b\nx replace o f\n", "line 1:"},
      {"plugin a.b\nplugin a.c\n", "line 2: second `plugin`"},
      {"plugin a.b\nmemory 12\nx replace o f\n", "line 2: memory must be"},
      {"plugin a.b\nmemory 64q\nx replace o f\n", "line 2: expected `memory BYTES`"},
      {"plugin a.b\nmemory 65537\nx replace o f\n", "line 2: memory must be a multiple of 16"},
      {"plugin a.b\nmemory 32m\nx replace o f\n", "line 2: memory must be"},
      {"plugin a.b\n\nmemory 64k\nmemory 64k\n", "line 4: second `memory`"},
      {"plugin a.b\ncongestion_controlled maybe\n", "line 2: expected `congestion_controlled"},
      {"plugin a.b\nframe 0x08\n", "line 2: frame type 0x8 is a built-in"},
      {"plugin a.b\nframe 0x40 pink\n", "line 2: unknown frame property `pink`"},
      {"plugin a.b\nframe 0x40 packets=2rtt\n", "line 2: unknown packet type `2rtt`"},
      {"plugin a.b\nframe 0x40\nframe 64\n", "line 3: frame type 0x40 declared twice"},
      {"plugin a.b\nframe 0x4000000000000000\n", "line 2: frame type does not fit"},
      {"plugin a.b\nx sideways o f\n", "line 2: unknown anchor `sideways`"},
      {"plugin a.b\nx replace o\n", "line 2: expected `OP [param N]"},
      {"plugin a.b\nx param replace o f\n", "line 2: expected a number after `param`"},
      {"plugin a.b\nx param 0xg replace o f\n", "line 2: expected a number"},
      {"plugin a.b\nx param 99999999999999999999 replace o f\n", "line 2: expected a number"},
      {"plugin a.b\nx replace o 9f\n", "line 2: bad function name `9f`"},
      {"plugin a.b\nx replace manifest f\n", "line 2: bad object name `manifest`"},
      {"plugin a.b\nx replace o/p f\n", "line 2: bad object name"},
      {"plugin a.b\n9x replace o f\n", "line 2: `9x` is not a directive"},
      {"plugin a.b\nx replace o f\n# c\nx replace o g\n",
       "line 4: second replace/external of `x` (line 2)"},
      {"plugin a.b\nx external o f\nx replace o g\n", "line 3: second replace/external"},
      {"plugin a.b\nx param 1 replace o f\nx post o g\n", "line 3: `x` used with and without"},
      {"plugin a.b\nx param 1 external o f\n", "line 2: external operations take no parameter"},
      {"plugin a.b\nx replace o f\x01\n", "line 2: unexpected byte 0x01"},
      {"plugin a.b\nx replace o f g h i j k l m n o p\n", "line 2: too many words"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    pq_manifest mf;
    char err[160];
    int rc = parse(cases[i].text, &mf, err);
    if (rc != PQUIC_ERR_MANIFEST || strstr(err, cases[i].msg) == NULL)
      fail_msg("case %zu: rc %d, error \"%s\", expected \"%s\"", i, rc, err, cases[i].msg);
    assert_int_equal(mf.n_pluglets, 0);
    assert_null(mf.pluglets);
  }
}

static void second_replace_with_other_param_is_fine(void **state) {
  (void)state;
  pq_manifest mf;
  char err[160];
  assert_int_equal(parse("plugin a.b\nx param 1 replace o f\nx param 2 replace o g\n"
                         "x param 1 pre o h\nx param 1 post o h\n",
                         &mf, err),
                   0);
  assert_int_equal(mf.n_pluglets, 4);
  pq_manifest_free(&mf);
}

static void limits(void **state) {
  (void)state;
  /* 257 pluglets: one too many. */
  static char text[PQ_MF_MAX_TEXT];
  size_t n = (size_t)snprintf(text, sizeof text, "plugin a.b\n");
  for (int i = 0; i <= PQ_MF_MAX_PLUGLETS; i++)
    n += (size_t)snprintf(text + n, sizeof text - n, "op%d post o f\n", i);
  pq_manifest mf;
  char err[160];
  assert_int_equal(pq_manifest_parse(text, n, &mf, err, sizeof err), PQUIC_ERR_MANIFEST);
  assert_non_null(strstr(err, "line 258: more than 256 pluglets"));
  /* 17 objects. */
  n = (size_t)snprintf(text, sizeof text, "plugin a.b\n");
  for (int i = 0; i <= PQ_MF_MAX_OBJECTS; i++)
    n += (size_t)snprintf(text + n, sizeof text - n, "op post o%d f\n", i);
  assert_int_equal(pq_manifest_parse(text, n, &mf, err, sizeof err), PQUIC_ERR_MANIFEST);
  assert_non_null(strstr(err, "line 18: more than 16 objects"));
  /* An over-long name, an over-long text, no NUL needed. */
  assert_int_equal(
      parse("plugin a.b\naaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa "
            "post o f\n",
            &mf, err),
      PQUIC_ERR_MANIFEST);
  assert_non_null(strstr(err, "line 2: word longer"));
  assert_int_equal(pq_manifest_parse(text, PQ_MF_MAX_TEXT + 1, &mf, err, sizeof err),
                   PQUIC_ERR_MANIFEST);
  const char cut[] = "plugin a.b\nx post o f\nGARBAGE";
  assert_int_equal(pq_manifest_parse(cut, strlen(cut) - 7, &mf, err, sizeof err), 0);
  assert_int_equal(mf.n_pluglets, 1);
  pq_manifest_free(&mf);
}

static void names(void **state) {
  (void)state;
  assert_true(pq_manifest_name_ok("org.pquic.monitoring"));
  assert_true(pq_manifest_name_ok("a.b"));
  assert_true(pq_manifest_name_ok("org.pquic.example.ping-frame"));
  assert_false(pq_manifest_name_ok("ab"));
  assert_false(pq_manifest_name_ok(".a.b"));
  assert_false(pq_manifest_name_ok("a.b."));
  assert_false(pq_manifest_name_ok("a b.c"));
  assert_false(pq_manifest_name_ok("a.B"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(full_manifest), cmocka_unit_test(defaults),
      cmocka_unit_test(errors),        cmocka_unit_test(second_replace_with_other_param_is_fine),
      cmocka_unit_test(limits),        cmocka_unit_test(names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
