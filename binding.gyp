{
  "targets": [
    {
      "target_name": "maildir_fs",
      "sources": ["native/maildir_fs.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
