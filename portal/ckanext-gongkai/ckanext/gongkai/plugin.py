"""The two CKAN plugins of ckanext-gongkai.

gongkai         our dataset metadata (ckanext-scheming schema + validators), the
                gongkai_datastore_load action (DataStore load by COPY, swapped in atomically)
                and the portal's pages (templates/, public/, pages.py: branding, facets,
                release history, review record), safe uploads and downloads (served_files.py)
gongkai_search  dataset search from PostgreSQL instead of Solr
"""
from __future__ import annotations

from typing import Any

import ckan.model as model
import ckan.plugins as p

from . import datastore_load, js_locale, pages, search_backend, served_files
from .validators import all_validators


class GongkaiPlugin(p.SingletonPlugin, served_files.ServedFiles):
    """Validators used by schemas/dataset.yaml (loaded by scheming_datasets), and the
    gongkai_datastore_load action (needs the datastore plugin)."""
    p.implements(p.IValidators)
    p.implements(p.IActions)
    p.implements(p.IAuthFunctions)
    p.implements(p.IConfigurer)
    p.implements(p.IFacets, inherit=True)
    p.implements(p.ITemplateHelpers)
    p.implements(p.IPackageController, inherit=True)
    p.implements(p.IBlueprint)

    def get_blueprint(self) -> Any:
        return js_locale.blueprint()

    def update_config(self, config: Any) -> None:
        p.toolkit.add_template_directory(config, "templates")
        p.toolkit.add_public_directory(config, "public")

    def dataset_facets(self, facets_dict: dict, package_type: str) -> dict:
        return pages.with_our_facets(facets_dict)

    def organization_facets(self, facets_dict: dict, organization_type: str, package_type: str) -> dict:
        return pages.with_our_facets(facets_dict)

    def after_dataset_search(self, search_results: dict, search_params: dict) -> dict:
        return pages.label_facets(search_results)

    def get_helpers(self) -> dict[str, Any]:
        return pages.helpers()

    def get_validators(self) -> dict[str, Any]:
        return all_validators()

    def get_actions(self) -> dict[str, Any]:
        return {datastore_load.ACTION: datastore_load.load, datastore_load.SWAP_ACTION: datastore_load.swap_prepared}

    def get_auth_functions(self) -> dict[str, Any]:
        return {datastore_load.ACTION: datastore_load.auth, datastore_load.SWAP_ACTION: datastore_load.auth}


class GongkaiSearchPlugin(p.SingletonPlugin):
    """Serve package_search and the package index from PostgreSQL.

    To use a real Solr instead, remove gongkai_search from ckan.plugins and
    set solr_url; nothing else changes.
    """
    p.implements(p.IConfigurer)
    p.implements(p.IConfigurable)
    p.implements(p.IPackageController, inherit=True)

    def update_config(self, config: Any) -> None:
        search_backend.install()

    def configure(self, config: Any) -> None:
        # The database engine exists from here on, not in update_config.
        search_backend.ensure_table()

    def before_dataset_index(self, pkg_dict: dict[str, Any]) -> dict[str, Any]:
        # Solr indexes the organization by name only; a search for the
        # bureau's Chinese name should find its datasets too.
        organization = model.Group.get(pkg_dict.get("owner_org")) if pkg_dict.get("owner_org") else None
        if organization is not None:
            pkg_dict["organization_title"] = organization.title
        return pkg_dict
