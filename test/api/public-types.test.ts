import { resolve, relative } from 'node:path';
import ts from 'typescript';
import { expect, it } from 'vitest';
import { projectCompilerOptions, ROOT, sourceEntryPoints } from '../support/package-entries.js';

/**
 * Every type a caller has to build to call the package is one they can import
 * and name. Starting from every export of every entry point, each parameter of
 * a public function, method, constructor or callback must be typed by a named
 * type the package exports (or one from the language, Node or a dependency);
 * an inline object type there (`options?: { limit?: number }`) must get a name.
 * The types reached that way are walked too: their properties and callbacks
 * follow the same rule, except that a nested property may be an inline shape.
 */
const SRC = resolve(ROOT, 'src');

function publicTypeProblems(): string[] {
  const entries = [...sourceEntryPoints().values()];
  const program = ts.createProgram(entries, projectCompilerOptions());
  const checker = program.getTypeChecker();
  const unalias = (symbol: ts.Symbol) => (symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol);

  const exported = new Set<ts.Declaration>();
  const roots: ts.Declaration[] = [];
  for (const entry of entries) {
    const source = program.getSourceFile(entry);
    const module = source && checker.getSymbolAtLocation(source);
    if (!module) throw new Error(`no module at ${entry}`);
    for (const symbol of checker.getExportsOfModule(module)) {
      for (const declaration of unalias(symbol).declarations ?? []) {
        exported.add(declaration);
        roots.push(declaration);
      }
    }
  }

  const problems = new Set<string>();
  const walked = new Set<ts.Node>();
  const where = (node: ts.Node) => {
    const source = node.getSourceFile();
    return `${relative(ROOT, source.fileName)}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
  };
  const ownDeclaration = (declaration: ts.Declaration) =>
    declaration.getSourceFile().fileName.startsWith(SRC + '/') && !ts.isTypeParameterDeclaration(declaration);

  /** A type node in a parameter (`top`) or inside a type reached from one. */
  function visitType(node: ts.TypeNode | undefined, context: string, top: boolean): void {
    if (node === undefined) return;
    if (ts.isTypeLiteralNode(node)) {
      if (top) problems.add(`${context} takes an inline object type; name it and export it (${where(node)})`);
      walkMembers(node.members, context);
    } else if (ts.isTypeReferenceNode(node)) {
      visitName(node.typeName, context);
      node.typeArguments?.forEach((argument) => visitType(argument, context, top));
    } else if (ts.isUnionTypeNode(node) || ts.isIntersectionTypeNode(node)) {
      node.types.forEach((member) => visitType(member, context, top));
    } else if (ts.isArrayTypeNode(node)) {
      visitType(node.elementType, context, top);
    } else if (ts.isTypeOperatorNode(node) || ts.isParenthesizedTypeNode(node)) {
      visitType(node.type, context, top);
    } else if (ts.isTupleTypeNode(node)) {
      node.elements.forEach((element) => visitType(ts.isNamedTupleMember(element) ? element.type : element, context, top));
    } else if (ts.isFunctionTypeNode(node) || ts.isConstructorTypeNode(node)) {
      visitSignature(node, context);
    }
  }

  /** A named type: declared in src/, it must be exported, and what it holds is walked in turn. */
  function visitName(name: ts.EntityName | ts.Expression, context: string): void {
    const symbol = checker.getSymbolAtLocation(name);
    for (const declaration of (symbol && unalias(symbol).declarations) ?? []) {
      if (!ownDeclaration(declaration)) continue;
      if (!exported.has(declaration)) problems.add(`${context} uses ${name.getText()}, which no entry point exports (${where(declaration)})`);
      walkDeclaration(declaration, name.getText());
    }
  }

  function visitSignature(signature: ts.SignatureDeclaration, context: string): void {
    for (const parameter of signature.parameters) {
      const name = `${context}(${parameter.name.getText()})`;
      if (parameter.type === undefined) {
        if (parameter.initializer !== undefined) problems.add(`${name} has no declared type (${where(parameter)})`);
        continue;
      }
      visitType(parameter.type, name, true);
    }
  }

  function isPublicMember(member: ts.Node): boolean {
    if (ts.canHaveModifiers(member)) {
      const hidden = [ts.SyntaxKind.PrivateKeyword, ts.SyntaxKind.ProtectedKeyword];
      if (ts.getModifiers(member)?.some((modifier) => hidden.includes(modifier.kind))) return false;
    }
    return !((ts.isPropertyDeclaration(member) || ts.isMethodDeclaration(member)) && ts.isPrivateIdentifier(member.name));
  }

  /** Members' signatures, and with `properties` the types of their other properties too. */
  function walkMembers(members: ts.NodeArray<ts.Node>, context: string, properties = true): void {
    for (const member of members) {
      if (!isPublicMember(member)) continue;
      const name = `${context}.${(member as ts.NamedDeclaration).name?.getText() ?? 'constructor'}`;
      if (ts.isMethodSignature(member) || ts.isMethodDeclaration(member) || ts.isConstructorDeclaration(member) || ts.isCallSignatureDeclaration(member)) {
        visitSignature(member, name);
      } else if ((ts.isPropertySignature(member) || ts.isPropertyDeclaration(member)) && member.type !== undefined) {
        if (ts.isFunctionTypeNode(member.type)) visitSignature(member.type, name);
        else if (properties) visitType(member.type, name, false);
      }
    }
  }

  function walkDeclaration(declaration: ts.Declaration, context: string): void {
    if (walked.has(declaration)) return;
    walked.add(declaration);
    if (ts.isFunctionDeclaration(declaration)) {
      visitSignature(declaration, context);
    } else if (ts.isClassDeclaration(declaration) || ts.isInterfaceDeclaration(declaration)) {
      for (const clause of declaration.heritageClauses ?? []) {
        for (const heritage of clause.types) {
          visitName(heritage.expression, context);
          heritage.typeArguments?.forEach((argument) => visitType(argument, context, false));
        }
      }
      walkMembers(declaration.members, context);
    } else if (ts.isTypeAliasDeclaration(declaration)) {
      visitType(declaration.type, context, false);
    } else if (ts.isVariableDeclaration(declaration)) {
      const value = declaration.initializer;
      if (declaration.type !== undefined) visitType(declaration.type, context, false);
      else if (value !== undefined && (ts.isArrowFunction(value) || ts.isFunctionExpression(value))) visitSignature(value, context);
    }
  }

  for (const root of roots) {
    const name = (root as ts.NamedDeclaration).name?.getText() ?? '(default)';
    // an exported class or interface is walked whole once a parameter reaches it; on its own, only its signatures
    if (ts.isInterfaceDeclaration(root) || ts.isClassDeclaration(root)) walkMembers(root.members, name, false);
    else walkDeclaration(root, name);
  }
  return [...problems].sort();
}

it('every type a public signature takes is exported by name', () => {
  expect(publicTypeProblems()).toEqual([]);
}, 60_000);
