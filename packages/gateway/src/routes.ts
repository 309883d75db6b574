import { ProviderError, type EmbedOptions, type EmbedResult, type EmbeddingProvider, type LanguageModelProvider, type SamplingConfig } from '@llm-lab/core';
import type { ManagedEmbedResult, ManagedProvider } from '@llm-lab/provider-manager';
import type { ServedProviders } from '@llm-lab/lab';
import { GatewayRequestError } from './openai-errors.js';

/** One name a client can put in `model`: a `providers:` entry of the gateway's config, managed. */
export interface Route {
  /** The name: the entry's `label`, else its id. */
  name: string;
  /** The entry's provider id, `<provider>:<model>`. */
  id: string;
  provider: LanguageModelProvider;
  /** The config's `defaults:` under the entry's `settings:`: filled in where a request leaves a setting out. */
  defaults: SamplingConfig | undefined;
  /** The entry's `config:` block, for making its embedding model. */
  config: Record<string, unknown>;
  /** `source` of the manager's events for calls of this route. */
  source: string;
  /** Who may answer for the route (its own members; other names are fallbacks). */
  members: readonly string[];
  /** A fallback's member names, to the fallback (a route's name) they belong to. */
  fallbackOf: Map<string, string>;
}

/** A route's embedding model: its answers say who answered, how many calls it took and whether the cache did. */
export type ManagedEmbedder = { embed(texts: string[], options?: EmbedOptions): Promise<EmbedResult & Partial<ManagedEmbedResult>> };

/** Provider families whose embedding models the gateway can make from an entry's `config:`. */
const EMBEDDING_FAMILIES = new Set(['openai']);

/**
 * The gateway's routes, from the config it serves. A request's `model` is looked up by entry
 * label first, then by provider id (`openai:gpt-4o-mini`), then by the bare model name
 * (`gpt-4o-mini`) when exactly one entry serves that model.
 */
export class RouteTable {
  readonly routes: readonly Route[];
  private readonly byName = new Map<string, Route>();
  private readonly embedders = new Map<string, ManagedEmbedder>();
  /** The body of `GET /v1/models`, made once. */
  readonly modelsBody: string;

  constructor(served: ServedProviders) {
    const entries = served.config.providers;
    const defaults = served.config.defaults;
    this.routes = served.providers.map((resolved, index) => {
      const entry = entries[index]!;
      const id = typeof entry === 'string' ? entry : entry.id;
      const merged = { ...defaults, ...resolved.settings };
      return {
        name: resolved.label,
        id,
        provider: resolved.provider,
        defaults: Object.keys(merged).length > 0 ? merged : undefined,
        config: typeof entry === 'string' ? {} : entry.config,
        source: `gateway:${resolved.label}`,
        members: resolved.answerers ?? [resolved.label],
        fallbackOf: new Map<string, string>(),
      };
    });
    for (const route of this.routes) this.byName.set(route.name, route);
    entries.forEach((entry, index) => {
      if (typeof entry === 'string') return;
      const route = this.routes[index]!;
      for (const fallback of (entry as { fallbacks?: string[] }).fallbacks ?? []) {
        const target = this.byName.get(fallback) ?? this.routes.find((each) => each.id === fallback);
        for (const member of target?.members ?? [fallback]) if (!route.fallbackOf.has(member)) route.fallbackOf.set(member, fallback);
      }
    });
    for (const route of this.routes) if (!this.byName.has(route.id)) this.byName.set(route.id, route);
    // The bare model name (`gpt-4o-mini`) too, when exactly one route serves that model and no name takes it.
    const byModel = new Map<string, Route[]>();
    for (const route of this.routes) {
      const model = route.id.slice(route.id.indexOf(':') + 1);
      byModel.set(model, [...(byModel.get(model) ?? []), route]);
    }
    for (const [model, serving] of byModel) if (serving.length === 1 && !this.byName.has(model)) this.byName.set(model, serving[0]!);
    this.modelsBody = RouteTable.listBody(this.routes);
  }

  /** The body of `GET /v1/models` listing `routes`. */
  static listBody(routes: readonly Route[]): string {
    return JSON.stringify({ object: 'list', data: routes.map(RouteTable.modelObject) });
  }

  /** A route as OpenAI's model object. */
  static modelObject(route: Route): { id: string; object: 'model'; created: number; owned_by: string } {
    return { id: route.name, object: 'model', created: 0, owned_by: route.id.slice(0, route.id.indexOf(':')) };
  }

  /** The routes that the names in `allowed` (a key's models: names, provider ids or bare model names) select, in table order. */
  allowedRoutes(allowed: readonly string[]): Route[] {
    const selected = new Set<Route>();
    for (const name of allowed) {
      const route = this.byName.get(name);
      if (route) selected.add(route);
    }
    return this.routes.filter((route) => selected.has(route));
  }

  /** The fallback (a route's name) that gave an answer, when not the route's own members. */
  static fallbackOf(route: Route, answeredBy: string | undefined): string | undefined {
    if (answeredBy === undefined || route.members.includes(answeredBy)) return undefined;
    return route.fallbackOf.get(answeredBy) ?? answeredBy;
  }

  /** The route named `model`; a 404 in OpenAI's shape listing the names otherwise. */
  get(model: string): Route {
    const route = this.byName.get(model);
    if (route) return route;
    throw this.unknown(model);
  }

  /** The 404 for a model this gateway does not serve (or the caller's key may not see). */
  unknown(model: string, visible: readonly Route[] = this.routes): GatewayRequestError {
    return new GatewayRequestError({
      status: 404,
      message: `The model '${model}' does not exist on this gateway. Use one of: ${visible.map((each) => each.name).join(', ')} (GET /v1/models lists them).`,
      param: 'model',
      code: 'model_not_found',
      errorClass: 'unknown-model',
    });
  }

  /**
   * The embedding model of a route, made once: the route's managed provider running embeddings
   * like its chat calls (cache, breakers, limits, retries, fallbacks, through the provider
   * manager), each member embedding with the model its entry names on its own server and key
   * (OpenAI-family entries: `openai:text-embedding-3-small` with the same `baseURL`/`apiKey`
   * settings as a chat model).
   */
  embedder(route: Route): ManagedEmbedder {
    let embedder = this.embedders.get(route.name);
    if (!embedder) {
      const family = route.id.slice(0, route.id.indexOf(':'));
      const managed = route.provider as Partial<Pick<ManagedProvider, 'embedding'>>;
      if (!EMBEDDING_FAMILIES.has(family) || typeof managed.embedding !== 'function') throw this.noEmbeddings(route);
      embedder = managed.embedding((member) => {
        const embedding = (member as { embedding?: (model?: string) => EmbeddingProvider }).embedding;
        if (typeof embedding !== 'function') throw this.noEmbeddings(route, member.id);
        return embedding.call(member);
      });
      this.embedders.set(route.name, embedder);
    }
    return embedder;
  }

  private noEmbeddings(route: Route, member?: string): GatewayRequestError {
    return new GatewayRequestError({
      message: `The model '${route.name}' (${member ?? route.id}) has no embeddings endpoint on this gateway: embeddings are served for openai:<model> entries (and their members and fallbacks).`,
      param: 'model',
      code: 'model_not_supported',
    });
  }
}

/** A provider error for a call the gateway gave up on because the client went away. */
export function clientClosedError(route: Route): ProviderError {
  return new ProviderError({ kind: 'cancelled', providerId: route.id, message: 'the client closed the connection before the answer was complete.' });
}
