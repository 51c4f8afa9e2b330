// core/config + core/yaml_flat: what a YAML file means as flat keys (each
// expectation written out by hand from the YAML spec), the errors for what it
// cannot mean, and the number checks of ConfigReader.
#include <gtest/gtest.h>

#include <cfloat>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/error.h"
#include "core/yaml_flat.h"
#include "temp_dir.h"

namespace mecrl {
namespace {

namespace fs = std::filesystem;

// key -> text ("[a|b]" for a list) of every entry, in document order.
std::vector<std::string> flat(const std::string& yaml) {
  std::vector<std::string> out;
  for (const auto& [k, v] : flatten_yaml(yaml, "f.yaml").entries) {
    std::string text = v.text;
    if (v.is_sequence) {
      text = "[";
      for (size_t i = 0; i < v.items.size(); ++i) text += (i ? "|" : "") + v.items[i];
      text += "]";
    }
    out.push_back(k + "=" + text + "@" + v.origin);
  }
  return out;
}

std::string flat_error(const std::string& yaml) {
  try {
    flatten_yaml(yaml, "f.yaml");
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

using V = std::vector<std::string>;

TEST(YamlFlat, NestedDottedListsAndLines) {
  EXPECT_EQ(flat("a:\n  b: 1\n  c: [x, 'y z']\nd.e: \"q\"\n"),
            (V{"a.b=1@f.yaml:2", "a.c=[x|y z]@f.yaml:3", "d.e=q@f.yaml:4"}));
  EXPECT_EQ(flat("a:\n  - 1\n  - 2\n"), (V{"a=[1|2]@f.yaml:1"}));
  EXPECT_EQ(flat(""), V{});
  EXPECT_EQ(flat("# only a comment\n"), V{});
  EXPECT_EQ(flat("a: {}\n"), V{});
}

TEST(YamlFlat, NullSpellingsAreEmptyButQuotedOnesAreText) {
  EXPECT_EQ(flat("a:\nb: ~\nc: null\nd: '~'\ne: \"null\"\n"),
            (V{"a=@f.yaml:1", "b=@f.yaml:2", "c=@f.yaml:3", "d=~@f.yaml:4", "e=null@f.yaml:5"}));
}

TEST(YamlFlat, AnchorsAndAliasesExpandWithTheAliasLine) {
  EXPECT_EQ(flat("a: &x 5\nb: *x\nc: [*x, 3]\n"), (V{"a=5@f.yaml:1", "b=5@f.yaml:2", "c=[5|3]@f.yaml:3"}));
  EXPECT_EQ(flat("a: &l [1, 2]\nb: *l\n"), (V{"a=[1|2]@f.yaml:1", "b=[1|2]@f.yaml:2"}));
}

TEST(YamlFlat, MapAliases) {
  EXPECT_EQ(flat("a: &m\n  p: 1\n  q: [2]\nb: *m\n"),
            (V{"a.p=1@f.yaml:2", "a.q=[2]@f.yaml:3", "b.p=1@f.yaml:4", "b.q=[2]@f.yaml:4"}));
}

TEST(YamlFlat, WhatAConfigCannotMeanIsAnError) {
  EXPECT_EQ(flat_error("a: 1\na: 2\n"),
            "f.yaml:2: a is set twice in this file (first at f.yaml:1; a dotted and a nested spelling name the same key)");
  EXPECT_EQ(flat_error("a:\n  b: 1\na.b: 2\n"),
            "f.yaml:3: a.b is set twice in this file (first at f.yaml:2; a dotted and a nested spelling name the same "
            "key)");
  EXPECT_EQ(flat_error("a: 1\n---\nb: 2\n"), "f.yaml:2: a second YAML document ('---'); a config file holds one mapping");
  EXPECT_EQ(flat_error("[a]: 1\n"), "f.yaml:1: a key must be a plain name, not a list");
  EXPECT_EQ(flat_error("{a: 1}: 1\n"), "f.yaml:1: a key must be a plain name, not a mapping");
  EXPECT_EQ(flat_error("~: 1\n"), "f.yaml:1: empty key");
  EXPECT_EQ(flat_error("a: [[1]]\n"), "f.yaml:1: a must be a list of plain values");
  EXPECT_EQ(flat_error("a: [{b: 1}]\n"), "f.yaml:1: a must be a list of plain values");
  EXPECT_EQ(flat_error("a: *nope\n"), "f.yaml:1: alias '*nope' refers to no anchor defined before it");
  EXPECT_EQ(flat_error("- a\n"), "f.yaml:1: a config file must be a mapping of keys");
  EXPECT_EQ(flat_error("just words\n"), "f.yaml:1: a config file must be a mapping of keys");
  EXPECT_EQ(flat_error("base: {x: 1}\n"), "f.yaml:1: base must be a file name or a list of file names");
  EXPECT_EQ(flat_error("base: [[x]]\n"), "f.yaml:1: base must be a file name or a list of file names");
  EXPECT_EQ(flat_error("a: [1, 2\n"),
            "f.yaml:2:1: YAML syntax error: did not find expected ',' or ']' (while parsing a flow sequence at line 1)");
}

TEST(YamlFlat, BaseIsNotAKey) {
  const FlatYaml f = flatten_yaml("base: [x.yaml, y.yaml]\na: 1\n", "f.yaml");
  EXPECT_TRUE(f.names_base);
  EXPECT_EQ(f.base, (V{"x.yaml", "y.yaml"}));
  EXPECT_EQ(f.entries.size(), 1u);
  EXPECT_TRUE(flatten_yaml("base:\n", "f.yaml").names_base);
  EXPECT_TRUE(flatten_yaml("base:\n", "f.yaml").base.empty());
  EXPECT_FALSE(flatten_yaml("a:\n  base: x\n", "f.yaml").names_base) << "only the top-level key";
}

TEST(YamlFlat, CommandLineValues) {
  EXPECT_EQ(parse_yaml_value("50", "k", "cli").text, "50");
  const ConfigValue list = parse_yaml_value("[L4, A100_80GB]", "k", "cli");
  EXPECT_TRUE(list.is_sequence);
  EXPECT_EQ(list.items, (V{"L4", "A100_80GB"}));
  EXPECT_EQ(parse_yaml_value("", "k", "cli").text, "");
  EXPECT_EQ(parse_yaml_value("nan", "k", "cli").text, "nan");
  EXPECT_THROW(parse_yaml_value("{a: 1}", "k", "cli"), UsageError);
  EXPECT_THROW(parse_yaml_value("[1, 2", "k", "cli"), UsageError);
}

// ---- Config: layering

fs::path write(const fs::path& dir, const std::string& name, const std::string& text) {
  std::ofstream(dir / name) << text;
  return dir / name;
}

TEST(Config, BaseChainMergeAndCycles) {
  const fs::path dir = testing::fresh_scratch_dir("config/chain");
  write(dir, "base.yaml", "a: 1\nb: 2\n");
  const fs::path top = write(dir, "top.yaml", "base: base.yaml\nb: 3\n");
  const Config c = Config::load(top.string());
  EXPECT_TRUE(c.names_base());
  EXPECT_EQ(c.find("a")->text, "1");
  EXPECT_EQ(c.find("b")->text, "3");
  EXPECT_EQ(c.find("b")->origin, top.string() + ":2");
  EXPECT_EQ(c.files().size(), 2u);

  Config under = Config::load((dir / "base.yaml").string());
  EXPECT_FALSE(under.names_base());
  Config over;
  over.set("a", "9", "cli");
  under.merge(over);
  EXPECT_EQ(under.find("a")->text, "9");
  EXPECT_EQ(under.find("a")->origin, "cli");
  EXPECT_EQ(under.find("b")->text, "2");

  const fs::path loop = write(dir, "loop.yaml", "base: loop2.yaml\n");
  write(dir, "loop2.yaml", "base: loop.yaml\n");
  try {
    Config::load(loop.string());
    ADD_FAILURE() << "a cycle loaded";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("`base:` cycle"), std::string::npos) << e.what();
  }
}

// ---- ConfigReader: numbers

std::string read_error(const std::string& value, const std::function<void(ConfigReader&)>& read) {
  Config c;
  c.set("k", value, "cli");
  ConfigReader r(c);
  try {
    read(r);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ConfigReader, NumbersMustBeFiniteAndFitSinglePrecision) {
  float f = 1;
  double d = 1;
  auto get_f = [&](ConfigReader& r) { r.get("k", f, 0, 1e38, "doc"); };
  auto get_pos = [&](ConfigReader& r) { r.get_positive("k", f, 1, "doc"); };
  auto get_d = [&](ConfigReader& r) { r.get("k", d, 0, 1, "doc"); };
  for (const char* bad : {"nan", "NaN", "-nan", "inf", "-inf", "1e999"}) {
    EXPECT_NE(read_error(bad, get_f).find("is not a finite number"), std::string::npos) << bad;
    EXPECT_NE(read_error(bad, get_d).find("is not a finite number"), std::string::npos) << bad;
  }
  for (const char* bad : {".nan", ".inf", "abc", "[1]"}) {
    EXPECT_NE(read_error(bad, get_f).find("is not a number"), std::string::npos) << bad;
  }
  EXPECT_EQ(read_error("1e-300", get_pos),
            "cli: k = '1e-300' is below the smallest single-precision magnitude 1.17549e-38 (it would become 0) (doc)");
  EXPECT_EQ(read_error("1e-300", get_f),
            "cli: k = '1e-300' is below the smallest single-precision magnitude 1.17549e-38 (it would become 0) (doc)");
  EXPECT_EQ(read_error("1e-300", get_d), "(no error)") << "a double holds it";
  EXPECT_DOUBLE_EQ(d, 1e-300);
  EXPECT_EQ(read_error("2e-38", get_f), "(no error)");  // above FLT_MIN
  EXPECT_EQ(f, 2e-38f);
  EXPECT_EQ(read_error("0", get_f), "(no error)");
  EXPECT_EQ(read_error("0", get_pos), "cli: k = '0' is outside (0, 1] (doc)");
  float wide = 0;
  EXPECT_EQ(read_error("1e39", [&](ConfigReader& r) { r.get("k", wide, 0, 1e300, "doc"); }),
            "cli: k = '1e39' exceeds the largest single-precision magnitude 3.40282e+38 (doc)");
}

TEST(ConfigReader, ListsOfNumbersCheckEveryItem) {
  std::vector<float> v = {7};
  auto get = [&](ConfigReader& r) { r.get("k", v, 0, 10, "doc"); };
  EXPECT_EQ(read_error("[1, 2.5]", get), "(no error)");
  EXPECT_EQ(v, (std::vector<float>{1, 2.5f}));
  EXPECT_EQ(read_error("[1, nan]", get),
            "cli: k = '1,nan' has 'nan', not a finite number (allowed: number or list of numbers in [0, 10]; doc)");
  EXPECT_EQ(read_error("[1, 11]", get), "cli: k = '1,11' has 11 outside [0, 10] (doc)");
  EXPECT_EQ(read_error("[1e-300]", get),
            "cli: k = '1e-300' has 1e-300, which is below the smallest single-precision magnitude 1.17549e-38 (it "
            "would become 0) (doc)");
}

// ---- ConfigReader: unknown keys, checked against another reader's keys

TEST(ConfigReader, CheckKeysUsesTableRowsAndDocumentOrder) {
  const fs::path dir = testing::fresh_scratch_dir("config/check_keys");
  const fs::path schema_file =
      write(dir, "schema.yaml", "t:\n  r1:\n    x: 1\n    y: 2\nplain: 3\n");
  const Config schema_cfg = Config::load(schema_file.string());
  ConfigReader schema(schema_cfg);
  for (const auto& row : schema.rows("t")) {
    int v = 0;
    schema.get("t." + row + ".x", v, 0, 9, "x");
    schema.get("t." + row + ".y", v, 0, 9, "y");
  }
  int p = 0;
  schema.get("plain", p, 0, 9, "p");
  schema.finish();

  auto check = [&](const std::string& text) {
    const fs::path f = write(dir, "user.yaml", text);
    try {
      schema.check_keys(Config::load(f.string()));
    } catch (const UsageError& e) {
      return std::string(e.what()).substr(f.string().size());
    }
    return std::string("(no error)");
  };
  EXPECT_EQ(check("t:\n  my_row:\n    x: 5\n    y: 1\nplain: 1\n"), "(no error)") << "a new row of a known table";
  EXPECT_EQ(check("t:\n  my_row:\n    z: 5\n"), ":3: unknown key 't.my_row.z'");
  EXPECT_EQ(check("t:\n  my_row: 5\n"), ":2: unknown key 't.my_row'");
  EXPECT_EQ(check("zzz: 1\nplian: 2\n"), ":1: unknown key 'zzz'") << "the first in the file, not the first by name";
  EXPECT_EQ(check("plian: 2\n"), ":1: unknown key 'plian'; did you mean 'plain'?");
}

}  // namespace
}  // namespace mecrl
