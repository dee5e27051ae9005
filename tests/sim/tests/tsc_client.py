"""Drive tableau-sim with the official, unmodified Tableau Server Client (TSC).

Usage: tsc_client.py URL SITE PAT_NAME PAT_SECRET WORKBOOK_ID DOWNLOAD_PATH

Signs in with a personal access token (adopting the server's REST API version), pages
through every workbook, data source, flow, user, group and project with TSC.Pager,
downloads one workbook to DOWNLOAD_PATH (a directory: TSC names the file after the
Content-Disposition header; a path without extension: TSC adds the server's extension),
signs out, and prints one JSON object on stdout: TSC's version, the API version used,
what sign-in returned, every listed item (id, name, project), the path TSC wrote, and
any warning TSC raised. A TSC error ends the script with a traceback and exit status 1.
Run by tests/tsc.rs.
"""

import json
import sys
import warnings
from importlib.metadata import version as package_version

import tableauserverclient as TSC


def main() -> None:
    url, site, pat_name, pat_secret, workbook_id, download_path = sys.argv[1:7]
    out = {"tsc_version": package_version("tableauserverclient")}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        server = TSC.Server(url, use_server_version=True)
        auth = TSC.PersonalAccessTokenAuth(pat_name, pat_secret, site_id=site)
        with server.auth.sign_in(auth):
            # use_server_version: sign in at 2.4, then adopt serverInfo's restApiVersion.
            out["api_version"] = server.version
            out["signed_in"] = {
                "site_id": server.site_id,
                "user_id": server.user_id,
                "site_url": server.site_url,
            }
            items = {}
            for name, endpoint in [
                ("workbooks", server.workbooks),
                ("datasources", server.datasources),
                ("flows", server.flows),
                ("users", server.users),
                ("groups", server.groups),
                ("projects", server.projects),
            ]:
                items[name] = [
                    [item.id, item.name, getattr(item, "project_id", None)]
                    for item in TSC.Pager(endpoint)
                ]
            out["items"] = items
            workbook = server.workbooks.get_by_id(workbook_id)
            out["workbook"] = {"id": workbook.id, "name": workbook.name}
            out["download"] = server.workbooks.download(workbook_id, filepath=download_path)
        # Leaving the block signed out (POST auth/signout) and cleared the token.
        out["signed_out"] = not server.is_signed_in()
    out["warnings"] = [f"{w.filename}:{w.lineno}: {w.message}" for w in caught]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
