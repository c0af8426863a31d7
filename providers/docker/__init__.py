"""bh-provider-docker: jobs as containers on a docker daemon, measured straight from their cgroups."""
