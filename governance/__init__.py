"""Community governance (社区治理): 五社联动 projects and the district's community affairs admission list."""
