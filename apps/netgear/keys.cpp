// `netgear keys`: secure mode's key folder (docs/security.md). generate makes a key set, show
// prints the public keys (what to copy to the other machine), allow adds a client's public key
// for IronHouse.
#include <iostream>
#include <memory>
#include <string>

#include "cli_common.hpp"
#include "commands.hpp"
#include "netgear/error.hpp"
#include "netgear/keys.hpp"

namespace netgear::cli {

namespace {

struct KeysArgs {
  std::string dir;  // custom_cert_location
  bool overwrite = false;
  std::string file;
  std::string name;
};

void print_set(const KeySetInfo& k) {
  std::cout << "key folder: " << k.folder << "\n"
            << "server public key (public_keys/server.key): "
            << (k.server_public.empty() ? "(missing)" : "\"" + k.server_public + "\"") << "\n"
            << "client public key (public_keys/client.key): "
            << (k.client_public.empty() ? "(missing)" : "\"" + k.client_public + "\"") << "\n"
            << "secret files: private_keys/server.key_secret " << (k.server_secret ? "present" : "missing")
            << " (receiver), private_keys/client.key_secret " << (k.client_secret ? "present" : "missing")
            << " (sender)\n";
  std::cout << "IronHouse allows " << k.allowed.size() << " client key(s):\n";
  for (const auto& [file, key] : k.allowed) std::cout << "  \"" << key << "\"  " << file << "\n";
}

int run_generate(const KeysArgs& a) {
  std::string folder;
  try {
    folder = generate_keys(a.dir, a.overwrite);
  } catch (const KeyFileError& e) {
    if (a.overwrite || std::string(e.what()).find("already") == std::string::npos) throw;
    throw KeyFileError(e.file(), std::string(e.what()) + ": give --overwrite");
  }
  std::cout << "generated a key set in " << folder << "\n";
  print_set(read_keys(a.dir));
  std::cout << "Copy the whole folder to the other machine (docs/security.md); secret files are mode 0600.\n";
  return kExitOk;
}

int run_show(const KeysArgs& a) {
  const KeySetInfo k = read_keys(a.dir);
  print_set(k);
  if (k.server_public.empty() && !k.server_secret && !k.client_secret) {
    std::cout << "No key set here yet: `netgear keys generate` makes one.\n";
  }
  return kExitOk;
}

int run_allow(const KeysArgs& a) {
  const std::string written = allow_key(a.file, a.dir, a.name);
  std::cout << "allowed: " << written << "\n"
            << "An IronHouse receiver using " << key_folder(a.dir)
            << " accepts this client key from its next connection on (no restart needed).\n";
  return kExitOk;
}

}  // namespace

void register_keys(CLI::App& root, Action& action) {
  auto args = std::make_shared<KeysArgs>();
  CLI::App* keys = root.add_subcommand("keys", "secure mode's CurveZMQ key folder: generate, show, allow");
  keys->require_subcommand(1);
  auto add_dir = [&](CLI::App* sub) {
    sub->add_option("--dir", args->dir,
                    "base folder of the key set, as --custom-cert-location (.vidgear is appended unless already "
                    "there). Default: the home folder (~/.vidgear/keys)");
  };
  CLI::App* gen = keys->add_subcommand("generate", "write a fresh key set (server and client key pairs)");
  add_dir(gen);
  gen->add_flag("--overwrite", args->overwrite, "replace a key set that is already there");
  gen->callback([args, &action] { action = [args] { return run_generate(*args); }; });

  CLI::App* show = keys->add_subcommand("show", "print the public keys and the allowed client keys");
  add_dir(show);
  show->callback([args, &action] { action = [args] { return run_show(*args); }; });

  CLI::App* allow = keys->add_subcommand(
      "allow", "IronHouse: allow a client's public key (its client.key file, or the 40-character key) by copying "
               "it into public_keys/");
  allow->add_option("FILE", args->file, "the client's public key file (or the Z85 key itself, with --name)")->required();
  allow->add_option("--name", args->name, "file name in public_keys/ (without .key). Default: FILE's name");
  add_dir(allow);
  allow->callback([args, &action] { action = [args] { return run_allow(*args); }; });
}

}  // namespace netgear::cli
