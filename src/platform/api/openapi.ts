/** One operation of the JSON API, as each capability describes it. */
export interface ApiOperation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  summary: string;
  scope: string;
  parameters?: unknown[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
}

/** Scopes an API key can hold; each capability adds its own. */
export const apiScopes: Record<string, string> = {
  'people:read': 'Read people (names, kinds, classes and roles; no dates of birth)',
  'school:read': "Read the school's name and settings",
  'technology-access:read': 'Read the technology access register: who may use school technology, and the kind of reason when not',
  'incidents:read': 'Read the bare facts of incidents (reference, status, category, dates): never names, details or concerns about staff',
  'incidents:write': 'Report incidents (for example from a filtering or monitoring system)',
  'monitoring:push': "Push the filter's log lines or events, to be read into alerts",
};

/** Collects the API's operations into the OpenAPI document served at /api/openapi.json. */
export class ApiRegistry {
  private operations: ApiOperation[] = [];
  private schemas: Record<string, unknown> = {};

  add(op: ApiOperation) {
    this.operations.push(op);
  }

  schema(name: string, schema: unknown) {
    this.schemas[name] = schema;
  }

  document(baseUrl: string) {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const op of this.operations) {
      paths[op.path] ??= {};
      paths[op.path][op.method] = {
        summary: op.summary,
        security: [{ apiKey: [op.scope] }],
        'x-required-scope': op.scope,
        parameters: op.parameters ?? [],
        ...(op.requestBody ? { requestBody: op.requestBody } : {}),
        responses: {
          ...op.responses,
          '401': { description: 'No API key, or a key that is revoked or unknown' },
          '403': { description: `The key lacks the scope ${op.scope}` },
        },
      };
    }
    return {
      openapi: '3.1.0',
      info: {
        title: 'Harbour API',
        version: '1',
        description: "Harbour's JSON API for other systems. Every key belongs to one school and holds named scopes; a key sees only its own school's records.",
      },
      servers: [{ url: `${baseUrl}/api/v1` }],
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: `An API key created by a school administrator. Scopes: ${Object.entries(apiScopes).map(([k, v]) => `${k} (${v})`).join('; ')}` },
        },
        schemas: this.schemas,
      },
      paths,
    };
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The API's OpenAPI registry (decorated in app.ts): each capability adds its operations. */
    api: ApiRegistry;
  }
}
